// Label values must stay few (peer-observer had to drop per-peer labels for memory). Values that
// come from the wire or from free text go through one of these before they become a label.
import { KNOWN_MSG_TYPES } from "../../events/index.js";

export const KNOWN_CONN_TYPES = new Set(["inbound", "manual", "feeler", "outbound-full-relay", "block-relay-only", "addr-fetch", "private-broadcast"]);

export function msgTypeLabel(t: string): string {
  return KNOWN_MSG_TYPES.has(t) ? t : "other";
}

export function connTypeLabel(t: string | null | undefined): string {
  return t && KNOWN_CONN_TYPES.has(t) ? t : "unknown";
}

/**
 * Caps the distinct values a free-text label may take: the first `max` distinct values are kept,
 * later new ones become "other". Text is cut to its stable head (before ':' or '(' and at most 64
 * characters), so per-event details do not multiply series.
 */
export class LabelLimiter {
  private readonly seen = new Set<string>();
  constructor(private readonly max = 50) {}

  label(text: string): string {
    const head = text.split(/[:(]/)[0]!.trim().slice(0, 64) || "unknown";
    if (this.seen.has(head)) return head;
    if (this.seen.size >= this.max) return "other";
    this.seen.add(head);
    return head;
  }
}
