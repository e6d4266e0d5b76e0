// NATS subjects of peerwatch events: `peerwatch.<node>.<type>`, the type's dots kept so that
// `peerwatch.*.net.>` selects the net events of every node. A node name may hold any character (the
// event model allows them) but a subject token may not hold '.', '*', '>' or whitespace, and a
// permission `peerwatch.<token>.>` must belong to exactly one node: so the token is an escaping,
// one-to-one. Letters, digits and '-' stay; every other byte (UTF-8), '_' included, becomes '_'
// and two hex digits: `a.b` → `a_2eb`, `a_b` → `a_5fb`. (It was "'.' becomes '_'": `a.b` and
// `a_b` shared a token, so a host allowed to publish as one could publish as the other; the
// receiver checks the subject against the event's node with this same mapping.)
import type { PeerwatchEvent } from "../../events/index.js";

export const SUBJECT_ROOT = "peerwatch";

/** The subject token of a node name: [A-Za-z0-9-] kept, any other byte as `_xx`; one-to-one. */
export function nodeToken(node: string): string {
  if (/^[A-Za-z0-9-]*$/.test(node)) return node;
  let out = "";
  for (const ch of node) {
    if (/^[A-Za-z0-9-]$/.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, "utf8")) out += `_${b.toString(16).padStart(2, "0")}`;
  }
  return out;
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

/**
 * Where a connection gets its replies (JetStream acks): `_INBOX.peerwatch.<node token>`, so a
 * publisher needs to read only its own (`subscribe: "_INBOX.peerwatch.<token>.>"`), not every
 * client's `_INBOX.>` (the tools' consumer deliveries among them).
 */
export function inboxPrefixFor(node: string): string {
  return `_INBOX.${SUBJECT_ROOT}.${nodeToken(node)}`;
}
