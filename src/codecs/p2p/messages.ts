// Payloads of the P2P messages peerwatch speaks or reads: version, ping/pong, feefilter, inv,
// addr/addrv2. Decoders take bytes from the wire (or a captured prefix of them) and never read past
// what is there; counts are bounded by the protocol's own maxima.
import { ByteReader, P2pDecodeError, compactSize } from "./byte-reader.js";

/** Bitcoin Core limits: MAX_INV_SZ, MAX_ADDR_TO_SEND, MAX_SUBVERSION_LENGTH. */
export const MAX_INV_ENTRIES = 50_000;
export const MAX_ADDR_ENTRIES = 1_000;
export const MAX_USER_AGENT = 256;

export interface VersionPayload {
  version: number;
  services: bigint;
  timestamp: bigint;
  /** The address the sender sees us at (IPv6 or IPv4-mapped, and port). */
  addrRecv: { services: bigint; ip: string; port: number };
  nonce: bigint;
  userAgent: string;
  startHeight: number;
  /** BIP37 relay flag; absent in very old versions (true then). */
  relay: boolean;
}

function ipFrom16(b: Uint8Array): string {
  const v4mapped = b.subarray(0, 12).every((x, i) => (i < 10 ? x === 0 : x === 0xff));
  if (v4mapped) return Array.from(b.subarray(12)).join(".");
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push((((b[i] as number) << 8) | (b[i + 1] as number)).toString(16));
  return parts.join(":");
}

function ip16From(ip: string): Buffer {
  const out = Buffer.alloc(16);
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (v4) {
    out[10] = 0xff;
    out[11] = 0xff;
    for (let i = 0; i < 4; i++) out[12 + i] = Number(v4[i + 1]);
  }
  return out; // IPv6 targets are not needed by the pinger: all zeros (unspecified) then
}

/** version, services, timestamp, addr_recv, addr_from, nonce, an empty user agent, start height (relay is optional). */
const MIN_VERSION_BYTES = 4 + 8 + 8 + 26 + 26 + 8 + 1 + 4;

/**
 * As much of a version message as a captured prefix holds (bpftrace copies 64 bytes by default):
 * fields past the end are absent.
 */
export function decodeVersionPrefix(payload: Uint8Array): Partial<VersionPayload> {
  // Shorter than the smallest whole version message: not worth a try (a throw costs microseconds).
  if (payload.length >= MIN_VERSION_BYTES) {
    try {
      return decodeVersion(payload);
    } catch (e) {
      if (!(e instanceof P2pDecodeError)) throw e;
    }
  }
  const r = new ByteReader(payload, "version");
  const out: Partial<VersionPayload> = {};
  if (r.remaining >= 4) out.version = r.i32le("version");
  if (r.remaining >= 8) out.services = r.u64le("services");
  if (r.remaining >= 8) out.timestamp = r.i64le("timestamp");
  return out;
}

export function decodeVersion(payload: Uint8Array): VersionPayload {
  const r = new ByteReader(payload, "version");
  const version = r.i32le("version");
  const services = r.u64le("services");
  const timestamp = r.i64le("timestamp");
  const recvServices = r.u64le("addr_recv services");
  const recvIp = ipFrom16(r.bytes(16, "addr_recv ip"));
  const recvPort = r.u16be("addr_recv port");
  r.bytes(26, "addr_from");
  const nonce = r.u64le("nonce");
  const userAgent = r.varString("user agent", MAX_USER_AGENT);
  const startHeight = r.i32le("start height");
  const relay = r.remaining > 0 ? r.u8("relay") !== 0 : true;
  return { version, services, timestamp, addrRecv: { services: recvServices, ip: recvIp, port: recvPort }, nonce, userAgent, startHeight, relay };
}

export interface OurVersion {
  version: number;
  services: bigint;
  /** The node's address as we see it. */
  recvIp: string;
  recvPort: number;
  nonce: bigint;
  userAgent: string;
  startHeight: number;
  relay: boolean;
  timestamp?: bigint;
}

export function encodeVersion(v: OurVersion): Buffer {
  const fixed = Buffer.alloc(4 + 8 + 8 + 26 + 26 + 8);
  let o = fixed.writeInt32LE(v.version, 0);
  o = fixed.writeBigUInt64LE(v.services, o);
  o = fixed.writeBigInt64LE(v.timestamp ?? BigInt(Math.floor(Date.now() / 1000)), o);
  o = fixed.writeBigUInt64LE(0n, o); // the node's services, as far as we claim to know: none
  ip16From(v.recvIp).copy(fixed, o);
  o = fixed.writeUInt16BE(v.recvPort, o + 16);
  o = fixed.writeBigUInt64LE(v.services, o);
  o += 16 + 2; // addr_from: unspecified (what Bitcoin Core itself sends)
  fixed.writeBigUInt64LE(v.nonce, o);
  const ua = Buffer.from(v.userAgent, "utf8");
  const tail = Buffer.alloc(5);
  tail.writeInt32LE(v.startHeight, 0);
  tail[4] = v.relay ? 1 : 0;
  return Buffer.concat([fixed, compactSize(ua.length), ua, tail]);
}

/** ping and pong carry one u64 nonce. */
export function decodeNonce(payload: Uint8Array, what: "ping" | "pong"): bigint {
  const r = new ByteReader(payload, what);
  return r.u64le("nonce");
}

export function encodeNonce(nonce: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(nonce);
  return b;
}

/** feefilter: minimum fee rate in sat per 1000 vbytes → sat/vB. */
export function decodeFeeFilter(payload: Uint8Array): number {
  const r = new ByteReader(payload, "feefilter");
  const satPerKvb = r.i64le("fee rate");
  if (satPerKvb < 0n) throw new P2pDecodeError("feefilter: negative fee rate");
  return Number(satPerKvb) / 1000;
}

/** Inventory types as Bitcoin Core names them (protocol.h), with the witness flag. */
const INV_TYPES: Record<number, string> = {
  1: "tx",
  2: "block",
  3: "filtered_block",
  4: "cmpct_block",
  5: "wtx",
  0x40000001: "witness_tx",
  0x40000002: "witness_block",
  0x40000003: "filtered_witness_block",
};

export interface InvSummary {
  count: number;
  /** Entries per type name, of the entries present in the bytes. */
  types: Record<string, number>;
  /** Entries actually read: fewer than count when the payload was a captured prefix. */
  read: number;
}

/** inv / getdata / notfound: CompactSize count, then (u32 type, 32-byte hash) entries. */
export function decodeInv(payload: Uint8Array, partial = false): InvSummary {
  const r = new ByteReader(payload, "inv");
  const count = r.compactSize("count", MAX_INV_ENTRIES);
  const types: Record<string, number> = {};
  let read = 0;
  for (; read < count; read++) {
    if (partial && r.remaining < 36) break;
    const t = r.u32le("entry type");
    r.bytes(32, "entry hash");
    const name = INV_TYPES[t] ?? "unknown";
    types[name] = (types[name] ?? 0) + 1;
  }
  return { count, types, read };
}

export interface AddrSummary {
  count: number;
  read: number;
  /** Networks of the entries read (addrv2 network ids; addr entries are IPv4/IPv6). */
  networks: Record<string, number>;
}

const ADDRV2_NETWORKS: Record<number, [string, number]> = {
  1: ["ipv4", 4],
  2: ["ipv6", 16],
  3: ["torv2", 10],
  4: ["onion", 32],
  5: ["i2p", 32],
  6: ["cjdns", 16],
};

/** addr: count, then (u32 time, u64 services, 16-byte ip, u16 port) = 30 bytes each. */
export function decodeAddr(payload: Uint8Array, partial = false): AddrSummary {
  const r = new ByteReader(payload, "addr");
  const count = r.compactSize("count", MAX_ADDR_ENTRIES);
  const networks: Record<string, number> = {};
  let read = 0;
  for (; read < count; read++) {
    if (partial && r.remaining < 30) break;
    r.u32le("time");
    r.u64le("services");
    const ip = r.bytes(16, "ip");
    r.u16be("port");
    const net = ipFrom16(ip).includes(".") ? "ipv4" : "ipv6";
    networks[net] = (networks[net] ?? 0) + 1;
  }
  return { count, read, networks };
}

/** addrv2 (BIP155): count, then (u32 time, CompactSize services, u8 net, CompactSize len, addr, u16 port). */
export function decodeAddrV2(payload: Uint8Array, partial = false): AddrSummary {
  const r = new ByteReader(payload, "addrv2");
  const count = r.compactSize("count", MAX_ADDR_ENTRIES);
  const networks: Record<string, number> = {};
  let read = 0;
  for (; read < count; read++) {
    try {
      r.u32le("time");
      r.compactSize("services", Number.MAX_SAFE_INTEGER);
      const netId = r.u8("network");
      const len = r.compactSize("address length", 512);
      const known = ADDRV2_NETWORKS[netId];
      if (known && known[1] !== len) throw new P2pDecodeError(`addrv2: ${known[0]} address of ${len} bytes`);
      r.bytes(len, "address");
      r.u16be("port");
      const name = known?.[0] ?? "unknown";
      networks[name] = (networks[name] ?? 0) + 1;
    } catch (e) {
      // A captured prefix may end inside an entry: count what was whole.
      if (partial && e instanceof P2pDecodeError && /needs \d+ bytes/.test(e.message)) break;
      throw e;
    }
  }
  return { count, read, networks };
}
