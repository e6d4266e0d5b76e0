// Payloads the adversaries send that the project's codec only decodes (addr, inv, headers, tx):
// built here in Bitcoin's serialization, bounded by the protocol's own maxima.
import { createHash, randomBytes } from "node:crypto";
import { compactSize } from "../../src/codecs/p2p/byte-reader.js";
import { sha256d } from "../../src/codecs/p2p/framing.js";
import { MAX_ADDR_ENTRIES, MAX_INV_ENTRIES } from "../../src/codecs/p2p/messages.js";

export class PayloadError extends Error {
  override name = "PayloadError";
}

/** A random publicly routable IPv4 address (1.0.0.0–223.255.255.255 minus private and reserved). */
export function randomRoutableIpv4(): Buffer {
  for (;;) {
    const b = randomBytes(4);
    const a = b[0] as number;
    const c = b[1] as number;
    if (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      a >= 224 ||
      (a === 100 && c >= 64 && c < 128) ||
      (a === 169 && c === 254) ||
      (a === 172 && c >= 16 && c < 32) ||
      (a === 192 && c === 168)
    )
      continue;
    return b;
  }
}

/** An `addr` message of `n` entries (≤ MAX_ADDR_TO_SEND): recent timestamps, NODE_NETWORK|NODE_WITNESS, port 8333. */
export function addrPayload(n: number, nowSeconds = Math.floor(Date.now() / 1000)): Buffer {
  if (n < 1 || n > MAX_ADDR_ENTRIES) throw new PayloadError(`addr of ${n} entries: 1 to ${MAX_ADDR_ENTRIES}`);
  const out = Buffer.alloc(n * 30);
  for (let i = 0; i < n; i++) {
    const o = i * 30;
    out.writeUInt32LE(nowSeconds - Math.floor(Math.random() * 3600), o);
    out.writeBigUInt64LE(9n, o + 4);
    out[o + 12 + 10] = 0xff;
    out[o + 12 + 11] = 0xff;
    randomRoutableIpv4().copy(out, o + 12 + 12);
    out.writeUInt16BE(8333, o + 28);
  }
  return Buffer.concat([compactSize(n), out]);
}

export const MSG_TX = 1;
export const MSG_BLOCK = 2;
export const MSG_WTX = 5;
export const MSG_WITNESS_FLAG = 0x40000000;

/** An `inv` (or `getdata`) of the given (type, 32-byte hash) entries. */
export function invPayload(entries: { type: number; hash: Uint8Array }[]): Buffer {
  if (entries.length < 1 || entries.length > MAX_INV_ENTRIES) throw new PayloadError(`inv of ${entries.length} entries: 1 to ${MAX_INV_ENTRIES}`);
  const out = Buffer.alloc(entries.length * 36);
  entries.forEach((e, i) => {
    out.writeUInt32LE(e.type, i * 36);
    Buffer.from(e.hash).copy(out, i * 36 + 4);
  });
  return Buffer.concat([compactSize(entries.length), out]);
}

/** Entries of an inv/getdata payload (type and hash), for adversaries that answer the node's. */
export function invEntries(payload: Buffer): { type: number; hash: Buffer }[] {
  let n = payload[0] as number;
  let o = 1;
  if (n === 0xfd) {
    n = payload.readUInt16LE(1);
    o = 3;
  } else if (n === 0xfe) {
    n = payload.readUInt32LE(1);
    o = 5;
  }
  const out: { type: number; hash: Buffer }[] = [];
  for (let i = 0; i < Math.min(n, MAX_INV_ENTRIES) && o + 36 <= payload.length; i++, o += 36)
    out.push({ type: payload.readUInt32LE(o), hash: payload.subarray(o + 4, o + 36) });
  return out;
}

/** OP_TRUE (0x51) and its P2WSH output script: anyone can spend it with the script as witness. */
export const OP_TRUE_SCRIPT = Buffer.of(0x51);
export const P2WSH_OP_TRUE = Buffer.concat([Buffer.of(0x00, 0x20), createHash("sha256").update(OP_TRUE_SCRIPT).digest()]);
/** Its regtest address (Bitcoin Core's test framework: ADDRESS_BCRT1_P2WSH_OP_TRUE). */
export const ADDRESS_P2WSH_OP_TRUE = "bcrt1qft5p2uhsdcdc3l2ua4ap5qqfg4pjaqlp250x7us7a8qqhrxrxfsqseac85";

export interface TxIn {
  /** Previous txid in display order (as RPC prints it). */
  txid: string;
  vout: number;
  sequence?: number;
  /** Witness stack; [OP_TRUE_SCRIPT] spends a P2WSH_OP_TRUE output. */
  witness?: Buffer[];
}
export interface TxOut {
  value: bigint;
  script: Buffer;
}

/** A serialized transaction (with witness when any input has one) and its txid (display order). */
export function buildTx(ins: TxIn[], outs: TxOut[], version = 2): { hex: string; bytes: Buffer; txid: string; vsize: number } {
  const le32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0);
    return b;
  };
  const parts: Buffer[] = [compactSize(ins.length)];
  for (const i of ins) parts.push(Buffer.from(i.txid, "hex").reverse(), le32(i.vout), compactSize(0), le32(i.sequence ?? 0xfffffffd));
  parts.push(compactSize(outs.length));
  for (const o of outs) {
    const v = Buffer.alloc(8);
    v.writeBigInt64LE(o.value);
    parts.push(v, compactSize(o.script.length), o.script);
  }
  const body = Buffer.concat(parts);
  const base = Buffer.concat([le32(version), body, le32(0)]);
  const txid = sha256d(base).reverse().toString("hex");
  const hasWitness = ins.some((i) => i.witness?.length);
  if (!hasWitness) return { hex: base.toString("hex"), bytes: base, txid, vsize: base.length };
  const wit: Buffer[] = [];
  for (const i of ins) {
    const stack = i.witness ?? [];
    wit.push(compactSize(stack.length));
    for (const item of stack) wit.push(compactSize(item.length), item);
  }
  const witness = Buffer.concat(wit);
  const full = Buffer.concat([le32(version), Buffer.of(0x00, 0x01), body, witness, le32(0)]);
  const weight = base.length * 3 + full.length;
  return { hex: full.toString("hex"), bytes: full, txid, vsize: Math.ceil(weight / 4) };
}

/** A 32-byte hash as RPC prints it (display order) → internal (wire) order. */
export function wireHash(displayHex: string): Buffer {
  return Buffer.from(displayHex, "hex").reverse();
}

/** Regtest's proof-of-work limit (nBits 0x207fffff): a header hash (as a little-endian number) must be at most this. */
export const REGTEST_BITS = 0x207fffff;

/**
 * An 80-byte block header on `prevHash` (display order), ground until its proof of work is valid
 * (`validPow`) or invalid (an "high-hash" header Core punishes). Regtest's target admits about half
 * of all hashes, so a few tries suffice.
 */
export function buildHeader(prevHash: string, time: number, validPow: boolean, bits = REGTEST_BITS): { bytes: Buffer; hash: string } {
  const h = Buffer.alloc(80);
  h.writeInt32LE(0x20000000, 0);
  wireHash(prevHash).copy(h, 4);
  randomBytes(32).copy(h, 36); // merkle root of a block nobody has
  h.writeUInt32LE(time, 68);
  h.writeUInt32LE(bits, 72);
  for (let nonce = 0; nonce < 1_000_000; nonce++) {
    h.writeUInt32LE(nonce, 76);
    const hash = sha256d(h);
    // With 0x207fffff the target is 0x7fffff·2^232: the hash's top byte (its last, little-endian) decides.
    const top = hash[31] as number;
    if (validPow ? top < 0x7f : top >= 0x80) return { bytes: Buffer.from(h), hash: Buffer.from(hash).reverse().toString("hex") };
  }
  throw new PayloadError("no header found in a million nonces");
}

/** A `headers` message: count, then each 80-byte header and a zero transaction count. */
export function headersPayload(headers: Buffer[]): Buffer {
  return Buffer.concat([compactSize(headers.length), ...headers.flatMap((h) => [h, Buffer.of(0)])]);
}
