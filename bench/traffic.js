// Recorded real traffic for the benchmarks: the regtest capture's bpftrace lines
// (test/fixtures/regtest-capture/bpftrace.tsv) rewritten into the format of peerwatch's own
// bpftrace program (src/ebpf/program.ts: one-letter records, strings as %rx), then repeated with
// the peer id and address varied over many peers, in chunks, so a million events never sit in
// memory at once.
import fs from "node:fs";
import path from "node:path";
import { root } from "./lib.js";

const rx = (s, n) => {
  const b = Buffer.alloc(n);
  b.write(s.slice(0, n));
  return [...b].map((x) => `\\x${x.toString(16).padStart(2, "0")}`).join("");
};
const ADDR = 68;
const SHORT = 20;
const REASON = 128;

/** One line of the capture as a template: the text before and after the peer id and address. */
function template(f) {
  switch (`${f[0]} ${f[1]}`) {
    case "msg in":
    case "msg out":
      return {
        head: `M\t${f[1] === "in" ? "i" : "o"}\t`,
        tail: `\t${rx(f[4], SHORT)}\t${rx(f[5], SHORT)}\t${f[6]}\t${f[7] ?? ""}`,
        msgType: f[5],
        direction: f[1],
      };
    case "conn inbound":
    case "conn outbound":
    case "conn closed":
      return { head: `C\t${f[1]}\t`, tail: `\t${rx(f[4], SHORT)}\t${f[5]}\t${f[6]}` };
    case "mempool added":
      return { line: `A\t${f[2]}\t${f[3]}\t${f[4]}` };
    case "mempool removed":
      return { line: `R\t${f[2]}\t${rx(f[3], SHORT)}\t${f[4]}\t${f[5]}\t${f[6]}` };
    case "mempool replaced":
      return { line: `P\t${f[2]}\t${f[3]}\t${f[4]}\t${f[5]}\t${f[6]}` };
    case "mempool rejected":
      return { line: `J\t${f[2]}\t${rx(f[3], REASON)}` };
    default:
      return f[0] === "block" ? { line: `B\t${f.slice(1).join("\t")}` } : undefined;
  }
}

/** The capture's records as templates, in recorded order. */
export function captureTemplates() {
  return fs
    .readFileSync(path.join(root, "test/fixtures/regtest-capture/bpftrace.tsv"), "utf8")
    .split("\n")
    .map((l) => template(l.split("\t")))
    .filter(Boolean);
}

/** Payload bytes the converted lines carry (the capture cut payloads at 128). */
export const PAYLOAD_BYTES = 128;

export const peerAddr = (p) => `198.51.${100 + (p >> 8)}.${p & 255}:8333`;

/**
 * Yields chunks of bpftrace lines, `total` in all: the templates in order, over and over, each line
 * from one of `peers` peers (spread by a multiplicative hash, so every peer sends a mix). As a chunk
 * of text split at newlines, the way readline hands lines over.
 */
export function* trafficChunks(templates, total, { peers = 1000, chunk = 20_000 } = {}) {
  const addrs = Array.from({ length: peers }, (_, p) => rx(peerAddr(p), ADDR));
  let i = 0;
  while (i < total) {
    const n = Math.min(chunk, total - i);
    const out = new Array(n);
    for (let k = 0; k < n; k++, i++) {
      const t = templates[i % templates.length];
      const p = Math.imul(i, 2654435761) >>> 0;
      const peer = p % peers;
      out[k] = t.line ?? `${t.head}${peer}\t${addrs[peer]}${t.tail}`;
    }
    yield out.join("\n").split("\n");
  }
}

/** One getpeerinfo-like peer for peers.snapshot. */
export const snapshotPeer = (id) => ({
  id,
  addr: peerAddr(id),
  network: "ipv4",
  inbound: id % 2 === 0,
  connectionType: id % 2 ? "outbound-full-relay" : "inbound",
  transport: id % 3 ? "v2" : "v1",
  pingMs: 40 + (id % 50),
  minPingMs: 30,
  version: 70016,
  subversion: "/Satoshi:29.0.0/",
  relayTxes: true,
  minFeeFilterSatVb: 1,
  bytesSent: 1,
  bytesRecv: 1,
  connTime: 1,
  mappedAs: 64500 + (id % 300),
});
