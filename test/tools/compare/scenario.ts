// A scripted 40-second run of IPC, eBPF and the RPC poller on one node, with known disagreements:
// - block 102 arrives between two polls (the poller never sees it), block 104 only IPC reports;
// - peer 7 connects at 12 s and leaves at 15 s, between the polls at 10.1 s and 20.1 s;
// - IPC's node drops a trace batch (3 pongs to peer 1), eBPF loses 2 inv messages from peer 7;
// - getpeerinfo counts 24 header bytes per message on top of the payload sizes traced.
import type { EventDataMap, PeerwatchEvent } from "../../../src/events/index.js";
import { captureJson } from "../../helpers/capture.js";
import { ev, msg, peer } from "../../helpers/events.js";

export const hash = (n: number) => n.toString(16).padStart(64, "0");

const chainInfo = (height: number) =>
  ({
    method: "getblockchaininfo",
    result: { ...(captureJson("rpc/getblockchaininfo.json") as object), blocks: height, headers: height, bestblockhash: hash(height) },
  }) as EventDataMap["rpc.snapshot"];

const threads = (pid: number, list: [number, string, number][], role?: "peerwatch" | "bpftrace") => ({
  pid,
  ...(role ? { role } : {}),
  threads: list.map(([tid, name, cpu]) => ({ tid, name, userSeconds: cpu, systemSeconds: 0 })),
});

/** IPC stamps net.message with the node's time and keeps the receive time (1.5 ms later here). */
function ipcMsg(at: number, data: EventDataMap["net.message"], delayUs = 1500): PeerwatchEvent {
  const e = ev("net.message", data, at, "ipc");
  return { ...e, data: { ...(e.data as EventDataMap["net.message"]), receivedTs: e.ts + delayUs } } as PeerwatchEvent;
}
/** eBPF's message events arrive 1 ms after the node saw the message. */
const ebpfMsg = (at: number, data: EventDataMap["net.message"]) => ev("net.message", data, at + 0.001, "ebpf");

export function scenario(): PeerwatchEvent[] {
  const out: PeerwatchEvent[] = [];
  const both = (at: number, data: EventDataMap["net.message"], delayUs?: number) => out.push(ipcMsg(at, data, delayUs), ebpfMsg(at, data));
  const poll = (at: number, height: number, pingRecv: number, pongSent: number) => {
    out.push(ev("rpc.snapshot", chainInfo(height), at, "rpc"));
    out.push(
      ev(
        "peers.snapshot",
        { peers: [peer(1, { bytesRecvPerMsg: { ping: pingRecv, version: 126 }, bytesSentPerMsg: { pong: pongSent } }), peer(2)] },
        at,
        "rpc",
      ),
    );
  };
  out.push(ev("source.status", { source: "ipc", state: "up", detail: "connected", capabilities: ["echo", "rpc", "mining", "net-tracing"] }, 0, "ipc"));
  out.push(ev("source.status", { source: "ebpf", state: "up", detail: "attached", capabilities: ["net", "connections", "mempool", "validation"] }, 0, "ebpf"));
  out.push(ev("source.status", { source: "rpc", state: "up", detail: "polling" }, 0, "rpc"));
  out.push(
    ev(
      "threads.snapshot",
      threads(100, [
        [100, "bitcoin-node", 0.3],
        [101, "b-msghand", 1.0],
        [102, "b-net", 0.5],
        [103, "b-httpworker.0", 0.1],
        [104, "b-httpworker.1", 0.1],
      ]),
      0,
      "proc",
    ),
  );
  out.push(ev("threads.snapshot", threads(200, [[200, "node", 2]], "peerwatch"), 0, "peerwatch"));
  out.push(ev("threads.snapshot", threads(300, [[300, "bpftrace", 0]], "bpftrace"), 0, "peerwatch"));
  // The tip each found on connecting: not an observed block.
  out.push(ev("tip.changed", { height: 100, hash: hash(100) }, 0.1, "ipc"));
  poll(0.1, 100, 320, 320);
  both(0.2, msg(1, "ping"));
  for (let s = 1; s <= 10; s++) both(s, msg(1, "ping"), s === 5 ? 4000 : undefined);
  // Block 101: eBPF first, IPC 2 ms later, the poller at its next poll.
  out.push(ev("block.connected", { hash: hash(101), height: 101, txs: 1, inputs: 1, sigops: 1, connectNs: 1000 }, 5, "ebpf"));
  out.push(ev("tip.changed", { height: 101, hash: hash(101) }, 5.002, "ipc"));
  poll(10.1, 101, 672, 320);
  // Peer 7 comes and goes between two polls.
  out.push(ev("net.connection", { kind: "inbound", peerId: 7, addr: "203.0.113.7:50000", connType: "inbound", network: "ipv4", existing: 2 }, 12, "ebpf"));
  both(12.1, msg(7, "version", "in", 102));
  both(12.2, msg(7, "verack", "in", 0));
  // Blocks 102 and 103 a second apart: the poller sees only 103.
  out.push(ev("block.connected", { hash: hash(102), height: 102, txs: 1, inputs: 1, sigops: 1, connectNs: 1000 }, 12, "ebpf"));
  out.push(ev("tip.changed", { height: 102, hash: hash(102) }, 12.003, "ipc"));
  out.push(ev("block.connected", { hash: hash(103), height: 103, txs: 1, inputs: 1, sigops: 1, connectNs: 1000 }, 13, "ebpf"));
  out.push(ev("tip.changed", { height: 103, hash: hash(103) }, 13.001, "ipc"));
  // eBPF loses two inv messages of peer 7 (bpftrace's buffer overflowed).
  out.push(ipcMsg(13, msg(7, "inv", "in", 37)), ipcMsg(13.1, msg(7, "inv", "in", 37)));
  out.push(ev("events.dropped", { source: "ebpf", count: 2, reason: "bpftrace lost events (perf buffer full)" }, 13.2, "ebpf"));
  out.push(
    ev(
      "net.connection",
      { kind: "closed", peerId: 7, addr: "203.0.113.7:50000", connType: "inbound", network: "ipv4", connectedAt: 1_795_470_012 },
      15,
      "ebpf",
    ),
  );
  // The node drops a trace batch of three pongs to peer 1.
  for (const s of [16, 17, 18]) out.push(ebpfMsg(s, msg(1, "pong", "out")));
  out.push(ev("events.dropped", { source: "ipc", count: 3, reason: "node's trace queue was full (maxQueueEvents)" }, 18.5, "ipc"));
  poll(20.1, 103, 672, 416);
  // Block 104: only IPC reports it (eBPF misses it).
  out.push(ev("tip.changed", { height: 104, hash: hash(104) }, 25, "ipc"));
  poll(30.1, 104, 672, 416);
  out.push(
    ev(
      "threads.snapshot",
      threads(100, [
        [100, "bitcoin-node", 0.3],
        [101, "b-msghand", 5.0],
        [102, "b-net", 0.9],
        [103, "b-httpworker.0", 0.3],
        [104, "b-httpworker.1", 0.2],
        [105, "b-nettrace", 0.4],
      ]),
      40,
      "proc",
    ),
  );
  out.push(ev("threads.snapshot", threads(200, [[200, "node", 4]], "peerwatch"), 40, "peerwatch"));
  out.push(ev("threads.snapshot", threads(300, [[300, "bpftrace", 8]], "bpftrace"), 40, "peerwatch"));
  both(40.5, msg(1, "ping"));
  return out;
}
