// Each detector of issue 20 on scripted events shaped like the real captures (eBPF/IPC net.message
// with decoded payloads, log lines' size-only messages, getpeerinfo snapshots): the attack raises
// its alert with a detail a person can act on, and the honest version of the same traffic nothing.
import { describe, expect, it } from "vitest";
import type { EventDataMap, PeerwatchEvent } from "../../../src/events/index.js";
import { AlertEngine } from "../../../src/tools/alerts/alert-engine.js";
import { detectorHeuristics } from "../../../src/tools/alerts/detectors.js";
import { netgroup } from "../../../src/tools/alerts/netgroup.js";
import { identityLie } from "../../../src/tools/alerts/spy-peer.js";
import { DEFAULT_THRESHOLDS, type Thresholds } from "../../../src/tools/alerts/thresholds.js";
import { ev, msg, peer } from "../../helpers/events.js";

function run(events: PeerwatchEvent[], t: Thresholds = DEFAULT_THRESHOLDS) {
  const engine = new AlertEngine(detectorHeuristics(t), t);
  return events.flatMap((e) => engine.onEvent(e).map((a) => ({ ...a, at: (e.ts - events[0]!.ts) / 1e6 })));
}
const names = (alerts: { name: string; severity: string }[]) => alerts.filter((a) => a.severity !== "info").map((a) => a.name);

const inv = (peerId: number, dir: "in" | "out", type: "inv" | "getdata" | "notfound", txs: number, at: number, blocks = 0) =>
  ev(
    "net.message",
    msg(peerId, type, dir, 1 + 36 * (txs + blocks), {
      decoded: { entries: txs + blocks, invTypes: { ...(txs ? { wtx: txs } : {}), ...(blocks ? { block: blocks } : {}) } },
    }),
    at,
  );
const conn = (kind: "inbound" | "closed", peerId: number, addr: string, at: number, source: "ebpf" | "log" = "ebpf") =>
  ev(
    "net.connection",
    { kind, peerId, addr, connType: "inbound", network: "ipv4", ...(kind === "inbound" ? { existing: 1 } : { connectedAt: 1 }) },
    at,
    source,
  );
const version = (peerId: number, at: number, v: Partial<NonNullable<EventDataMap["net.message"]["decoded"]>["version"]> = {}) =>
  ev(
    "net.message",
    msg(peerId, "version", "in", 102, {
      decoded: { version: { version: 70016, services: "0000000000000c09", userAgent: "/Satoshi:29.0.0/", startHeight: 100, relay: true, ...v } },
    }),
    at,
  );

describe("netgroup", () => {
  it("groups like Core: IPv4 /16, IPv6 /32, an AS with -asmap", () => {
    expect(netgroup("203.0.113.5:8333")).toBe("203.0/16");
    expect(netgroup("[2001:db8:1:2::5]:8333")).toBe("2001:db8/32");
    expect(netgroup("[::ffff:198.51.100.1]:8333")).toBe("198.51/16");
    expect(netgroup("203.0.113.5:8333", 64496)).toBe("AS64496");
    expect(netgroup("")).toBe("");
  });
});

describe("inv-spam and tx-undelivered", () => {
  it("alerts on a peer announcing 50 unknown txids per message without pause, within seconds", () => {
    const events = Array.from({ length: 150 }, (_, i) => inv(3, "in", "inv", 50, i * 0.02));
    const alerts = run(events);
    expect(names(alerts)).toEqual(["inv-spam"]);
    expect(alerts[0]!.detail).toMatch(/peer 3 \(198\.51\.100\.3:8333.*announced 5050 transactions in 60 s \(threshold 5000: MAX_PEER_TX_ANNOUNCEMENTS/);
    expect(alerts[0]!.at).toBeLessThan(3);
  });
  it("alerts at once on an inv over MAX_INV_SZ, counted from the size when the log gives no payload", () => {
    const big = ev("net.message", { peerId: 4, addr: "", connType: "unknown", direction: "in", msgType: "inv", size: 3 + 36 * 50_001 }, 0, "log");
    expect(run([big])[0]!.detail).toMatch(/one inv of 50001 entries \(over MAX_INV_SZ 50000/);
  });
  it("alerts when the transactions asked for are never delivered", () => {
    const events = [
      inv(5, "in", "inv", 100, 0),
      inv(5, "out", "getdata", 100, 2),
      ...Array.from({ length: 15 }, (_, i) => ev("net.message", msg(1, "ping", "in"), 3 + i)),
    ];
    const alerts = run(events);
    expect(names(alerts)).toEqual(["tx-undelivered"]);
    expect(alerts[0]!.detail).toMatch(/asked for 100 announced transactions and delivered 0: 100 unanswered/);
  });
  it("stays quiet for honest relay: announcements answered with the transactions, at Core's pace", () => {
    const events: PeerwatchEvent[] = [];
    for (let i = 0; i < 600; i++) {
      events.push(inv(6, "in", "inv", 35, i * 2), inv(6, "out", "getdata", 35, i * 2 + 0.1));
      for (let k = 0; k < 35; k++) events.push(ev("net.message", msg(6, "tx", "in", 250), i * 2 + 0.2));
    }
    expect(names(run(events))).toEqual([]);
  });
});

describe("spy-peer", () => {
  it("warns on an old user agent with service bits it cannot have (the lab's spy)", () => {
    const alerts = run([version(7, 0, { version: 70015, userAgent: "/Satoshi:0.16.3/", services: (1n | 8n | 64n | 2048n).toString(16).padStart(16, "0") })]);
    expect(alerts).toEqual([
      expect.objectContaining({ name: "spy-peer", severity: "warning", peerId: 7, detail: expect.stringMatching(/predates (BIP157|BIP324)/) }),
    ]);
  });
  it("reports (info) a peer that asks for every transaction and gives none, and warns when it also lies", () => {
    const asks = Array.from({ length: 60 }, (_, i) => inv(8, "in", "getdata", 1, 1 + i));
    expect(run([version(8, 0), ...asks]).map((a) => [a.name, a.severity])).toEqual([["spy-peer", "info"]]);
    expect(
      run([version(9, 0, { version: 70012, userAgent: "/Satoshi:0.12.1/" }), ev("net.message", msg(9, "wtxidrelay"), 0.1)]).map((a) => [a.name, a.severity]),
    ).toEqual([["spy-peer", "warning"]]);
  });
  it("warns from getpeerinfo alone (RPC), once per peer", () => {
    const liar = peer(2, { subversion: "/Satoshi:0.16.3/", version: 70015, services: "0000000000000849" });
    const snaps = [0, 10, 20].map((at) => ev("peers.snapshot", { peers: [liar, peer(4, { services: "0000000000000c09" })] }, at, "rpc"));
    expect(run(snaps).map((a) => [a.name, a.peerId, a.severity])).toEqual([["spy-peer", 2, "warning"]]);
  });
  it("stays quiet for honest Core and Knots user agents and for peers that give as they take", () => {
    expect(identityLie("/Satoshi:29.0.0/", "0000000000000c09", 70016)).toBeUndefined();
    expect(identityLie("/Satoshi:27.1.0/Knots:20240801/", "0000000000000c49", 70016)).toBeUndefined();
    expect(identityLie("/btcwire:0.5.0/btcd:0.24.2/", "0000000000000001", 70016)).toBeUndefined();
    const give = Array.from({ length: 100 }, (_, i) => [inv(10, "in", "getdata", 1, i), inv(10, "in", "inv", 1, i + 0.5)]).flat();
    expect(run([version(10, 0), ...give])).toEqual([]);
  });
});

describe("handshake-stall, protocol-garbage (inferred) and inbound-slots", () => {
  it("alerts when inbound connections send no version for 10 s, naming their netgroup", () => {
    const events = [
      ...Array.from({ length: 8 }, (_, i) => conn("inbound", 20 + i, `127.0.80.${i + 1}:5000`, i * 0.2)),
      ev("ping.rtt", { rttNs: 1e6, target: "127.0.0.1:18444" }, 12, "p2p"),
    ];
    const alerts = run(events);
    expect(names(alerts)).toEqual(["handshake-stall"]);
    expect(alerts[0]!.detail).toMatch(/8 inbound connections .* sent no version within 10 s .*8 from 127\.0\/16/);
  });
  it("sees the same from getpeerinfo alone (RPC, IPC): inbound peers still at version 0", () => {
    const now = 1_795_470_000 + 30;
    const mute = Array.from({ length: 6 }, (_, i) => peer(i * 2, { addr: `127.0.80.${i + 1}:5000`, version: 0, subversion: "", connTime: now - 15 }));
    expect(names(run([ev("peers.snapshot", { peers: mute }, 30, "rpc")]))).toEqual(["handshake-stall"]);
    expect(names(run([ev("peers.snapshot", { peers: mute.map((p) => ({ ...p, connTime: now - 2 })) }, 30, "rpc")]))).toEqual([]);
  });
  it("infers refused bytes from connections that close at once without a version", () => {
    const events = Array.from({ length: 6 }, (_, i) => [
      conn("inbound", 30 + i, `127.0.81.${i + 1}:5000`, i * 4),
      conn("closed", 30 + i, `127.0.81.${i + 1}:5000`, i * 4 + 0.5),
    ]).flat();
    expect(names(run(events))).toEqual(["protocol-garbage"]);
  });
  it("waits for a version that IPC tracing delivers after eBPF's close (short honest connections)", () => {
    const events = Array.from({ length: 10 }, (_, i) => [
      conn("inbound", 60 + i, `127.0.84.${i + 1}:5000`, i),
      conn("closed", 60 + i, `127.0.84.${i + 1}:5000`, i + 0.2),
      { ...version(60 + i, i + 0.5), source: "ipc" } as PeerwatchEvent,
    ]).flat();
    expect(names(run([...events, ev("ping.rtt", { rttNs: 1e6, target: "x:1" }, 30, "p2p")]))).toEqual([]);
  });
  it("stays quiet when IPC tracing delivers the version before eBPF reports the connection", () => {
    const events = Array.from({ length: 8 }, (_, i) => [
      { ...version(80 + i, i), source: "ipc" } as PeerwatchEvent,
      conn("inbound", 80 + i, `127.0.85.${i + 1}:5000`, i + 0.05),
    ]).flat();
    expect(names(run([...events, ev("ping.rtt", { rttNs: 1e6, target: "x:1" }, 30, "p2p")]))).toEqual([]);
  });
  it("stays quiet for honest peers (version within milliseconds), however many", () => {
    const events = Array.from({ length: 50 }, (_, i) => [
      conn("inbound", 40 + i, `198.51.${i}.1:5000`, i * 3),
      version(40 + i, i * 3 + 0.01),
      conn("closed", 40 + i, `198.51.${i}.1:5000`, i * 3 + 1),
    ]).flat();
    expect(names(run([...events, ev("ping.rtt", { rttNs: 1e6, target: "x:1" }, 200, "p2p")]))).toEqual([]);
  });
  it("alerts when the node refuses an inbound connection because it is full", () => {
    expect(names(run([ev("net.inbound_refused", { addr: "203.0.113.9:4000", reason: "full" }, 0, "log")]))).toEqual(["inbound-slots"]);
  });
});

describe("protocol-garbage and misbehaving-peer", () => {
  it("alerts on the log's header errors per peer, counting the range", () => {
    const pe = (peerId: number, problem: "wrong_magic" | "bad_checksum", at: number) =>
      ev("net.protocol_error", { peerId, problem, detail: `Header error: … peer=${peerId}` }, at, "log");
    const alerts = run([conn("inbound", 50, "127.0.82.1:5000", 0, "ebpf"), pe(50, "bad_checksum", 1), pe(50, "bad_checksum", 1.1)]);
    expect(alerts).toEqual([
      expect.objectContaining({
        name: "protocol-garbage",
        peerId: 50,
        detail: expect.stringMatching(/peer 50 \(127\.0\.82\.1:5000.* bad checksum.* 1 violation from 127\.0\/16/),
      }),
    ]);
  });
  it("alerts on what Core punished, from eBPF's tracepoint or the log", () => {
    const m = ev("net.connection", { kind: "misbehaving", peerId: 51, reason: "header with invalid proof of work" }, 0);
    expect(run([m])).toEqual([
      expect.objectContaining({
        name: "misbehaving-peer",
        peerId: 51,
        detail: expect.stringMatching(/punished by the node: header with invalid proof of work/),
      }),
    ]);
    expect(names(run([ev("peer.disconnecting", { peerId: 52, cause: "discouraged", detail: "Disconnecting and discouraging" }, 0, "log")]))).toEqual([
      "misbehaving-peer",
    ]);
  });
  it("alerts on an inbound peer the log says the transport refused (no header error line), not on Core's own failed v2 attempts", () => {
    // The lab's garbage run, log alone: the disconnection, then the closed line that says inbound.
    const refused = (peerId: number, at: number, connType?: string) => [
      ev("peer.disconnecting", { peerId, cause: "other", detail: "receiving message bytes failed", addr: `203.0.113.${peerId}:40000` }, at, "log"),
      ev("net.connection", { kind: "closed", peerId, addr: `203.0.113.${peerId}:40000`, ...(connType ? { connType } : {}) }, at + 0.001, "log"),
    ];
    expect(run(refused(53, 0, "inbound"))).toEqual([
      expect.objectContaining({
        name: "protocol-garbage",
        peerId: 53,
        detail: expect.stringMatching(/peer 53 \(203\.0\.113\.53:40000.*had its bytes refused by the node's transport.*1 violation from 203\.0\/16/),
      }),
    ]);
    // An outbound v2 attempt to a v1-only peer ends the same way (the closed line names no inbound peer): quiet.
    expect(run(Array.from({ length: 30 }, (_, i) => refused(60 + i, i)).flat())).toEqual([]);
    // A header error already counted is not counted again when the disconnection follows.
    const header = ev(
      "net.protocol_error",
      { peerId: 54, problem: "wrong_magic", detail: "Header error: Wrong MessageStart 0b110907 received, peer=54" },
      0,
      "log",
    );
    expect(run([header, ...refused(54, 0.01, "inbound")]).map((a) => a.detail)).toEqual([expect.stringMatching(/peer 54 .*wrong network magic/)]);
  });
});

describe("block-stalling", () => {
  it("alerts when a block asked of a peer is not delivered in 20 s", () => {
    const events = [inv(60, "out", "getdata", 0, 0, 1), ev("ping.rtt", { rttNs: 1e6, target: "x:1" }, 21, "p2p")];
    expect(run(events)).toEqual([
      expect.objectContaining({ name: "block-stalling", peerId: 60, detail: expect.stringMatching(/asked for 1 block\(s\) 21 s ago/) }),
    ]);
  });
  it("alerts from the log's size-only lines: our getdata right after the peer's headers, and no block in 20 s", () => {
    const line = (peerId: number, type: string, dir: "in" | "out", size: number, at: number) =>
      ev("net.message", { peerId, addr: `203.0.113.${peerId}:40000`, connType: "inbound", direction: dir, msgType: type, size }, at, "log");
    const tick = (at: number) => ev("ping.rtt", { rttNs: 1e6, target: "x:1" }, at, "p2p");
    const stall = [line(62, "headers", "in", 82, 0), line(62, "getdata", "out", 37, 0.002), tick(21)];
    expect(run(stall)).toEqual([
      expect.objectContaining({
        name: "block-stalling",
        peerId: 62,
        detail: expect.stringMatching(/asked for 1 block\(s\) 21 s ago \(our getdata right after its headers, by the log's sizes\)/),
      }),
    ]);
    // Delivered; a getdata long after the headers (a transaction's, after an inv); one answered with a tx: quiet.
    expect(names(run([line(63, "headers", "in", 82, 0), line(63, "getdata", "out", 37, 0.002), line(63, "block", "in", 300, 0.5), tick(21)]))).toEqual([]);
    expect(names(run([line(64, "headers", "in", 82, 0), line(64, "inv", "in", 37, 5), line(64, "getdata", "out", 37, 5.001), tick(30)]))).toEqual([]);
    expect(names(run([line(65, "headers", "in", 82, 0), line(65, "getdata", "out", 37, 0.002), line(65, "tx", "in", 250, 0.1), tick(30)]))).toEqual([]);
  });
  it("alerts from getpeerinfo's inflight alone (RPC)", () => {
    const snap = (at: number) => ev("peers.snapshot", { peers: [peer(61, { inflightBlocks: 1 })] }, at, "rpc");
    expect(names(run([snap(0), snap(10), snap(20)]))).toEqual(["block-stalling"]);
  });
  it("stays quiet when blocks arrive", () => {
    const events = Array.from({ length: 30 }, (_, i) => [
      inv(62, "out", "getdata", 0, i * 30, 1),
      ev("net.message", msg(62, "block", "in", 300_000), i * 30 + 2),
    ]).flat();
    expect(names(run(events))).toEqual([]);
  });
});

describe("inbound-concentration, outbound-netgroup, outbound-churn", () => {
  it("alerts when inbound slots fill from one netgroup (connection events)", () => {
    const events = Array.from({ length: 12 }, (_, i) => conn("inbound", 70 + i, `127.0.83.${i + 1}:5000`, i * 0.5));
    expect(run(events)).toEqual([
      expect.objectContaining({ name: "inbound-concentration", detail: expect.stringMatching(/10 of 10 inbound connections come from 127\.0\/16/) }),
    ]);
  });
  it("stays quiet for inbound peers spread over the internet, and sees the same from getpeerinfo", () => {
    const spread = Array.from({ length: 40 }, (_, i) => peer(i * 2, { addr: `${20 + i}.${i}.1.1:8333`, inbound: true }));
    expect(names(run([ev("peers.snapshot", { peers: spread }, 0, "rpc")]))).toEqual([]);
    const packed = Array.from({ length: 20 }, (_, i) => peer(i * 2, { addr: `203.0.${i}.1:8333`, inbound: true }));
    expect(names(run([ev("peers.snapshot", { peers: [...spread.slice(0, 10), ...packed] }, 0, "rpc")]))).toEqual(["inbound-concentration"]);
  });
  it("alerts on automatic outbound peers sharing a netgroup, and on an outbound set that turns over", () => {
    const out = (id: number, addr: string) => peer(id, { addr, inbound: false, connectionType: "outbound-full-relay", connTime: 1_795_000_000 });
    expect(names(run([ev("peers.snapshot", { peers: [out(1, "203.0.1.1:8333"), out(3, "203.0.2.2:8333")] }, 0, "rpc")]))).toEqual(["outbound-netgroup"]);
    const set = (ids: number[], at: number) => ev("peers.snapshot", { peers: ids.map((id) => out(id, `${30 + id}.1.1.1:8333`)) }, at, "rpc");
    const first = [1, 3, 5, 7, 9, 11, 13, 15];
    const replaced = [101, 103, 105, 107, 109, 111, 113, 115];
    expect(names(run([set(first, 0), set(replaced, 60)]))).toEqual(["outbound-churn"]);
    // One replaced every 10 minutes is Core's own rotation; attempts seen as connection events count for nothing.
    expect(names(run(first.map((_, k) => set([...replaced.slice(0, k), ...first.slice(k)], k * 600))))).toEqual([]);
    const attempt = (id: number, at: number) =>
      ev("net.connection", { kind: "outbound", peerId: id, addr: `${30 + id}.1.1.1:8333`, connType: "outbound-full-relay", network: "ipv4", existing: 8 }, at);
    expect(names(run(Array.from({ length: 20 }, (_, i) => attempt(200 + i, i * 5))))).toEqual([]);
  });
});

describe("peer-cpu and send-queue", () => {
  it("alerts on one peer taking most of the node's CPU (Knots cpu_load) or a ballooning send queue", () => {
    const snap = ev("peers.snapshot", { peers: [peer(1, { cpuLoad: 0.9, invToSend: 10 }), peer(2, { cpuLoad: 0.02, invToSend: 60_000 })] }, 0, "rpc");
    const alerts = run([snap]);
    expect(alerts.map((a) => [a.name, a.peerId])).toEqual([
      ["peer-cpu", 1],
      ["send-queue", 2],
    ]);
    expect(alerts[1]!.detail).toMatch(/60000 inventory entries waiting .*all peers: 60010/);
  });
  it("stays quiet for the values a quiet Knots node reports", () => {
    expect(run([ev("peers.snapshot", { peers: [peer(1, { cpuLoad: 0.368, invToSend: 0 }), peer(2, { cpuLoad: 0.01, invToSend: 120 })] }, 0, "rpc")])).toEqual(
      [],
    );
  });
});

describe("tx-spam", () => {
  it("alerts on transactions pushed without being asked for", () => {
    const events = Array.from({ length: 60 }, (_, i) => ev("net.message", msg(90, "tx", "in", 200), i * 0.05));
    expect(run(events)).toEqual([
      expect.objectContaining({ name: "tx-spam", peerId: 90, detail: expect.stringMatching(/pushed 50 transactions the node never asked for/) }),
    ]);
  });
  it("alerts on a flood of rejections the source does not attribute, naming the likely sender", () => {
    const events = [
      inv(91, "out", "getdata", 100, 0),
      ...Array.from({ length: 100 }, (_, i) => [
        ev("net.message", msg(91, "tx", "in", 200), 1 + i * 0.1),
        ev("mempool.rejected", { txid: "ab".repeat(32), reason: "bad-txns-inputs-missingorspent" }, 1 + i * 0.1 + 0.01),
      ]).flat(),
    ];
    expect(run(events)).toEqual([
      expect.objectContaining({
        name: "tx-spam",
        detail: expect.stringMatching(/100 transactions rejected in 60 s .*peer 91 .*\(100\).*bad-txns-inputs-missingorspent ×100/),
      }),
    ]);
  });
});

describe("silent-peers", () => {
  it("alerts when several peers leave the node's ping unanswered", () => {
    const events = [
      ...Array.from({ length: 6 }, (_, i) => ev("net.message", msg(100 + i, "ping", "out"), i * 0.1)),
      ev("ping.rtt", { rttNs: 1e6, target: "x:1" }, 11, "p2p"),
    ];
    expect(names(run(events))).toEqual(["silent-peers"]);
    const snap = ev("peers.snapshot", { peers: Array.from({ length: 6 }, (_, i) => peer(i * 2, { pingWaitMs: 15_000 })) }, 0, "rpc");
    expect(names(run([snap]))).toEqual(["silent-peers"]);
  });
  it("sees the same from getpeerinfo without pingwait: ping bytes sent over pong bytes received, unchanged for 10 s", () => {
    // The lab's silent peers as its recording's snapshots show them: one ping sent (32 bytes), no pong.
    const mute = (id: number) => peer(id * 2, { bytesSentPerMsg: { ping: 32, verack: 24 }, bytesRecvPerMsg: { verack: 24 } });
    const snap = (at: number, peers = Array.from({ length: 6 }, (_, i) => mute(i + 1))) => ev("peers.snapshot", { peers }, at, "rpc");
    const alerts = run([0, 2, 4, 6, 8, 10].map((at) => snap(at)));
    expect(alerts).toEqual([
      expect.objectContaining({ name: "silent-peers", detail: expect.stringMatching(/^6 peers .*ping bytes sent over pong bytes received.*peer 2 .* 10 s/) }),
    ]);
    expect(names(run([0, 2, 4, 6, 8].map((at) => snap(at))))).toEqual([]); // 8 s: not yet
    // Honest peers: each ping answered by the next snapshot, a new one every 2 min.
    const honest = (at: number) =>
      ev(
        "peers.snapshot",
        {
          peers: Array.from({ length: 6 }, (_, i) => {
            const pings = Math.floor(at / 120) + 1;
            const answered = at % 120 < 2 ? pings - 1 : pings; // the new ping is outstanding for at most one snapshot
            return peer(i * 2, { bytesSentPerMsg: { ping: 32 * pings }, bytesRecvPerMsg: { pong: 32 * answered } });
          }),
        },
        at,
        "rpc",
      );
    expect(names(run(Array.from({ length: 300 }, (_, i) => honest(i * 2))))).toEqual([]);
  });
  it("stays quiet when pongs come back", () => {
    const events = Array.from({ length: 20 }, (_, i) => [
      ev("net.message", msg(110 + i, "ping", "out"), i),
      ev("net.message", msg(110 + i, "pong", "in"), i + 0.3),
    ]).flat();
    expect(names(run([...events, ev("ping.rtt", { rttNs: 1e6, target: "x:1" }, 60, "p2p")]))).toEqual([]);
  });
});

describe("addr-spam from the log's rate-limited count", () => {
  it("alerts when the node's own token bucket drops more than 1000 of one peer's addresses", () => {
    const line = (at: number) => ev("addr.received", { peerId: 12, addresses: 10, processed: 0, rateLimited: 10 }, at, "log");
    const alerts = run(Array.from({ length: 120 }, (_, i) => line(i * 0.25)));
    expect(alerts).toEqual([
      expect.objectContaining({ name: "addr-spam", peerId: 12, detail: expect.stringMatching(/1010 addresses that the node's own rate limit dropped/) }),
    ]);
    expect(run(Array.from({ length: 100 }, (_, i) => ev("addr.received", { peerId: 12, addresses: 2, processed: 2, rateLimited: 0 }, i * 30, "log")))).toEqual(
      [],
    );
  });
});

describe("floods from getpeerinfo alone (RPC)", () => {
  const snap = (at: number, ping: number, inv: number, addrRateLimited: number) =>
    ev("peers.snapshot", { peers: [peer(14, { addrRateLimited, bytesRecvPerMsg: { ping, inv, version: 126 } })] }, at, "rpc");
  it("raises ping-spam, inv-spam and addr-spam from the growth of bytesrecv_per_msg and addr_rate_limited", () => {
    const alerts = run([snap(0, 320, 3700, 0), snap(10, 320 + 32 * 5000, 3700 + 1825 * 200, 2000)]);
    expect(alerts.map((a) => a.name)).toEqual(["ping-spam", "inv-spam", "addr-spam"]);
    expect(alerts[1]!.detail).toMatch(/announced about 10139 inventory entries in 10 s/);
  });
  it("stays quiet for honest growth (a ping every 2 min, a few invs, gossip inside the limit)", () => {
    const events = Array.from({ length: 60 }, (_, i) => snap(i * 10, 32 * Math.floor(i / 12), 61 * 30 * i, 2 * i));
    expect(names(run(events))).toEqual([]);
  });
  it("sums the addresses the node dropped over addr-spam's window, so a slow drip is seen (the lab's addr-drip)", () => {
    // About 65 dropped a second (10 addresses every 150 ms), polled every 2 s: 130 per interval, over 1000 after 16 s.
    const drip = Array.from({ length: 12 }, (_, i) => snap(i * 2, 0, 0, 130 * i));
    const alerts = run(drip);
    expect(alerts).toEqual([
      expect.objectContaining({
        name: "addr-spam",
        peerId: 14,
        detail: expect.stringMatching(/had 1040 addresses dropped .* in 16 s .*threshold 1000 in 600 s/),
      }),
    ]);
    expect(alerts[0]!.at).toBe(16);
    // 1000 dropped over more than the window (an honest peer's bursts over a day) is not a drip.
    expect(names(run(Array.from({ length: 50 }, (_, i) => snap(i * 60, 0, 0, 60 * i))))).toEqual([]);
  });
  it("compares a peer's first snapshot with its connection, so a flood between two polls is seen", () => {
    // The lab's ping flood: 14,000 pings in the 2 s between connecting and the only snapshot that saw the peer.
    const connTime = 1_795_470_000 - 2;
    const alerts = run([ev("peers.snapshot", { peers: [peer(15, { connTime, bytesRecvPerMsg: { ping: 32 * 14_000, version: 126 } })] }, 0, "rpc")]);
    expect(alerts).toEqual([
      expect.objectContaining({
        name: "ping-spam",
        peerId: 15,
        detail: expect.stringMatching(/peer 15 .*sent about 14000 pings in 2 s .*threshold 20 in 60 s/),
      }),
    ]);
    // A peer connected for a day with Core's one ping per 2 min: 720 pings, far under the rate.
    const old = peer(16, { connTime: 1_795_470_000 - 86_400, bytesRecvPerMsg: { ping: 32 * 720, inv: 36 * 50_000 } });
    expect(names(run([ev("peers.snapshot", { peers: [old] }, 0, "rpc")]))).toEqual([]);
  });
  it("raises tx-spam when a peer sent transactions and was never sent a getdata", () => {
    const connTime = 1_795_470_000 - 2;
    const pushed = peer(17, { connTime, bytesRecvPerMsg: { tx: 70_800, version: 126 }, bytesSentPerMsg: { version: 127, ping: 32 } });
    expect(run([ev("peers.snapshot", { peers: [pushed] }, 0, "rpc")])).toEqual([
      expect.objectContaining({
        name: "tx-spam",
        peerId: 17,
        detail: expect.stringMatching(/pushed 70800 bytes of transactions in 2 s and was never sent a getdata .*threshold .*50 smallest transactions, 4200/),
      }),
    ]);
    // An honest relayer: every tx answers a getdata of ours, however many bytes.
    const honest = (at: number, k: number) =>
      ev("peers.snapshot", { peers: [peer(18, { connTime, bytesRecvPerMsg: { tx: 400_000 * k }, bytesSentPerMsg: { getdata: 61 * k } })] }, at, "rpc");
    expect(names(run(Array.from({ length: 30 }, (_, i) => honest(i * 2, i + 1))))).toEqual([]);
    // A few small stray transactions (under the bytes of 50) are not enough.
    expect(names(run([ev("peers.snapshot", { peers: [peer(19, { connTime, bytesRecvPerMsg: { tx: 84 * 49 } })] }, 0, "rpc")]))).toEqual([]);
  });
});
