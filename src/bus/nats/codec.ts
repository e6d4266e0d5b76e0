// Events on NATS are the event model's JSON, one event per message. Decoding treats the message as
// untrusted: size-bounded, JSON-parsed and validated by the model's decoder, and the subject must
// match the event inside (a message on `peerwatch.a.net.message` holding another node's or type's
// event is foreign and rejected).
import { decodeEventLine, encodeEvent, type Decoded, type PeerwatchEvent } from "../../events/index.js";
import { subjectFor } from "./subjects.js";

const encoder = new TextEncoder();

export function encodeNatsEvent(e: PeerwatchEvent): Uint8Array {
  return encoder.encode(encodeEvent(e));
}

export function decodeNatsEvent(subject: string, data: Uint8Array): Decoded<PeerwatchEvent> {
  const where = `NATS message on ${subject.slice(0, 200)}`;
  const r = decodeEventLine(data, where);
  if (!r.ok) return r;
  const expected = subjectFor(r.value);
  if (expected !== subject) {
    return { ok: false, error: { what: "event", where, why: `holds a ${r.value.type} event of node "${r.value.node}", which belongs on ${expected}` } };
  }
  return r;
}
