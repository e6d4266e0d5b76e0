// NATS subjects of peerwatch events: `peerwatch.<node>.<type>`, the type's dots kept so that
// `peerwatch.*.net.>` selects the net events of every node. A node name may hold dots (the event
// model allows them) but a subject token may not, so dots in the node's token become '_'; the
// event's JSON still carries the real name.
import type { PeerwatchEvent } from "../../events/index.js";

export const SUBJECT_ROOT = "peerwatch";

/** The subject token of a node name (no '.', '*', '>' or whitespace). */
export function nodeToken(node: string): string {
  return node.replace(/[.*>\s]/g, "_");
}

export function subjectFor(e: Pick<PeerwatchEvent, "node" | "type">): string {
  return `${SUBJECT_ROOT}.${nodeToken(e.node)}.${e.type}`;
}

/** Subjects to subscribe to: every node, or the named ones. */
export function subjectsFor(nodes?: readonly string[]): string[] {
  if (!nodes || nodes.length === 0) return [`${SUBJECT_ROOT}.*.>`];
  return [...new Set(nodes.map((n) => `${SUBJECT_ROOT}.${nodeToken(n)}.>`))];
}

/** The stream subject filter that holds every peerwatch event. */
export const ALL_SUBJECTS = `${SUBJECT_ROOT}.>`;
