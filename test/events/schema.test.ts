import { describe, expect, it } from "vitest";
import { EVENT_TYPES, RPC_SNAPSHOT_METHODS, decodeEvent, decodeEventLine, encodeEvent, makeEvent, type EventType } from "../../src/events/index.js";
import { captureJson } from "../helpers/capture.js";

const H = "2f19d430e8274b2f98d467d0139ed51b49b77f242bb728a06737fd6ddb81b2c7";
const H2 = "33feb2e69d718f4dd8ccfa2ff7072eb789263dd7b3422af683e6a756006483b3";

const peer = {
  id: 0,
  addr: "127.0.0.1:51350",
  network: "not_publicly_routable",
  inbound: true,
  connectionType: "inbound",
  transport: "v2",
  pingMs: 0.566781,
  minPingMs: 0.566781,
  version: 70017,
  subversion: "/Satoshi:31.99.0/",
  relayTxes: true,
  minFeeFilterSatVb: 1,
  bytesSent: 44185,
  bytesRecv: 9780,
  connTime: 1795470474,
  mappedAs: null,
};

/** One valid data object per type, and mutations of it that must be rejected (with the path expected). */
const cases: Record<EventType, { valid: unknown; invalid: [unknown, string][] }> = {
  "tip.changed": {
    valid: { height: 111, hash: H },
    invalid: [
      [{ height: -1, hash: H }, "data.height"],
      [{ height: 1, hash: H.toUpperCase() }, "data.hash"],
      [{ height: 1, hash: H.slice(2) }, "data.hash"],
      [{ height: 1.5, hash: H }, "data.height"],
    ],
  },
  "block.connected": {
    valid: { hash: H, height: 111, txs: 6, inputs: 5, sigops: 4, connectNs: 1_234_567 },
    invalid: [
      [{ hash: H, height: 111, txs: 6, inputs: 5, sigops: 4 }, "data.connectNs"],
      [{ hash: H, height: 111, txs: "6", inputs: 5, sigops: 4, connectNs: 1 }, "data.txs"],
    ],
  },
  "peers.snapshot": {
    valid: { peers: [peer, { ...peer, id: 1, network: null, transport: null, pingMs: null, minPingMs: null, mappedAs: 64496 }] },
    invalid: [
      [{ peers: [{ ...peer, transport: "v3" }] }, "data.peers[0].transport"],
      [{ peers: [{ ...peer, id: -3 }] }, "data.peers[0].id"],
      [{ peers: [{ ...peer, network: "tor" }] }, "data.peers[0].network"],
      [{ peers: [{ ...peer, addr: "x".repeat(300) }] }, "data.peers[0].addr"],
      [{}, "data.peers"],
    ],
  },
  "net.message": {
    valid: {
      peerId: 0,
      addr: "127.0.0.1:51350",
      connType: "inbound",
      direction: "in",
      msgType: "ping",
      size: 8,
      payloadHex: "85b060e39beef6e4",
      truncated: false,
      decoded: { nonce: "85b060e39beef6e4" },
    },
    invalid: [
      [{ peerId: 0, addr: "a", connType: "inbound", direction: "sideways", msgType: "ping", size: 8 }, "data.direction"],
      [{ peerId: 0, addr: "a", connType: "inbound", direction: "in", msgType: "ping", size: 8, payloadHex: "ABC" }, "data.payloadHex"],
      [{ peerId: 0, addr: "a", connType: "inbound", direction: "in", msgType: "ping", size: -8 }, "data.size"],
      [{ peerId: 0, addr: "a", connType: "inbound", direction: "in", msgType: "ping", size: 8, decoded: { nonce: "xyz" } }, "data.decoded.nonce"],
    ],
  },
  "net.connection": {
    valid: { kind: "closed", peerId: 7, addr: "[2001:db8::1]:8333", connType: "outbound-full-relay", network: "ipv6", connectedAt: 1795470474 },
    invalid: [
      [{ kind: "opened", peerId: 7 }, "data.kind"],
      [{ kind: "misbehaving", peerId: 7, reason: "r".repeat(300) }, "data.reason"],
    ],
  },
  "mempool.added": {
    valid: { txid: H, vsize: 141, fee: 1410 },
    invalid: [[{ txid: H, vsize: 141 }, "data.fee"]],
  },
  "mempool.removed": {
    valid: { txid: H, reason: "block", vsize: 141, fee: 1410, entryTime: 1795470490 },
    invalid: [[{ txid: H, reason: "block", vsize: 141, fee: 1410 }, "data.entryTime"]],
  },
  "mempool.replaced": {
    valid: {
      replacedTxid: H2,
      replacedVsize: 110,
      replacedFee: 1100,
      replacedEntryTime: 1795470490,
      replacementTxid: H,
      replacementVsize: null,
      replacementFee: null,
      replacedByTransaction: null,
    },
    invalid: [[{ replacedTxid: H2, replacementTxid: H }, "data.replacedVsize"]],
  },
  "mempool.rejected": {
    valid: { txid: H, reason: "min relay fee not met, 0 < 10" },
    invalid: [[{ txid: "nothex", reason: "x" }, "data.txid"]],
  },
  "ping.rtt": {
    valid: { rttNs: 512_345, target: "127.0.0.1:18444" },
    invalid: [[{ rttNs: 1.5, target: "127.0.0.1:18444" }, "data.rttNs"]],
  },
  "p2p.announcement": {
    valid: { target: "127.0.0.1:18444", msgType: "inv", size: 37, entries: 1, invTypes: { block: 1 } },
    invalid: [[{ target: "127.0.0.1:18444", msgType: "feefilter", size: 8, feeRateSatVb: -1 }, "data.feeRateSatVb"]],
  },
  "rpc.snapshot": {
    valid: { method: "getmempoolinfo", result: captureJson("rpc/getmempoolinfo.json") },
    invalid: [
      [{ method: "getmempoolinfo", result: { size: 1 } }, "data.result.loaded"],
      [{ method: "stop", result: null }, "data.method"],
      [{ method: "uptime", result: -5 }, "data.result"],
    ],
  },
  "threads.snapshot": {
    valid: {
      pid: 4242,
      threads: [
        { tid: 4242, name: "bitcoin-node", userSeconds: 1.5, systemSeconds: 0.2 },
        { tid: 4250, name: "b-msghand", userSeconds: 12.01, systemSeconds: 3 },
      ],
    },
    invalid: [
      [{ pid: 0, threads: [] }, "data.pid"],
      [{ pid: 1, threads: [{ tid: 1, name: "x", userSeconds: -1, systemSeconds: 0 }] }, "data.threads[0].userSeconds"],
    ],
  },
  "utxocache.add": {
    valid: { txid: H, vout: 1, height: 111, value: 5_000_000_000, coinbase: true },
    invalid: [[{ txid: H, vout: -1, height: 1, value: 1, coinbase: false }, "data.vout"]],
  },
  "utxocache.spent": {
    valid: { txid: H, vout: 0, height: 100, value: 2500, coinbase: false },
    invalid: [[{ txid: H, vout: 0, height: 100, value: 2500 }, "data.coinbase"]],
  },
  "utxocache.uncache": {
    valid: { txid: H, vout: 2, height: 99, value: 1, coinbase: false },
    invalid: [[{ txid: "x", vout: 2, height: 99, value: 1, coinbase: false }, "data.txid"]],
  },
  "utxocache.flush": {
    valid: { durationUs: 1500, mode: 2, coins: 12345, memoryBytes: 33554432, forPrune: false },
    invalid: [[{ durationUs: 1500, mode: 2, coins: 12345, memoryBytes: -1, forPrune: false }, "data.memoryBytes"]],
  },
  "source.status": {
    valid: { source: "ipc", state: "up", detail: "Bitcoin Core 31.99", capabilities: ["rpc", "mining"] },
    invalid: [
      [{ source: "ipc", state: "sleeping", detail: "" }, "data.state"],
      [{ source: "carrier-pigeon", state: "up", detail: "" }, "data.source"],
    ],
  },
  "events.dropped": {
    valid: { source: "ebpf", count: 42, reason: "bpftrace lost events" },
    invalid: [[{ source: "ebpf", count: 0, reason: "nothing" }, "data.count"]],
  },
  alert: {
    valid: { name: "ping-spam", severity: "warning", peerId: 3, detail: "peer 3 sent 500 pings in 60 s" },
    invalid: [[{ name: "x", severity: "doom", detail: "" }, "data.severity"]],
  },
  // log source and node identity (issue 14)
  "mempool.accepted": {
    valid: { txid: H, wtxid: H2, peerId: 0, poolTxs: 5, poolKb: 2 },
    invalid: [[{ txid: H, wtxid: "nope", peerId: 0, poolTxs: 5, poolKb: 2 }, "data.wtxid"]],
  },
  "block.seen": { valid: { hash: H, height: 111 }, invalid: [[{ hash: H }, "data.height"]] },
  "peer.disconnecting": {
    valid: { peerId: 3, cause: "ping_timeout", detail: "ping timeout: 1200.005s", pingWaitSeconds: 1200.005 },
    invalid: [[{ peerId: 3, cause: "boredom", detail: "" }, "data.cause"]],
  },
  "net.inbound_refused": {
    valid: { addr: "203.0.113.7:50000", reason: "banned" },
    invalid: [[{ addr: "203.0.113.7:50000", reason: "grumpy" }, "data.reason"]],
  },
  "pong.problem": {
    valid: { peerId: 1, problem: "Nonce mismatch", expectedNonce: "1a2b", receivedNonce: "0", bytes: 8 },
    invalid: [[{ peerId: 1, problem: "x", expectedNonce: "XYZ", receivedNonce: "0", bytes: 8 }, "data.expectedNonce"]],
  },
  "net.protocol_error": {
    valid: { peerId: 3, problem: "wrong_magic", detail: "Header error: Wrong MessageStart 0badf00d received, peer=3" },
    invalid: [[{ peerId: 3, problem: "garbage", detail: "x" }, "data.problem"]],
  },
  "addr.received": {
    valid: { peerId: 2, addresses: 1000, processed: 10, rateLimited: 990 },
    invalid: [[{ peerId: 2, addresses: 1000, processed: 10, rateLimited: -1 }, "data.rateLimited"]],
  },
  "log.lines": {
    valid: { parsed: { "update-tip": 112 }, unknown: { net: 40, none: 3 }, truncated: 0, throttled: 0 },
    invalid: [[{ parsed: {}, unknown: {}, truncated: -1, throttled: 0 }, "data.truncated"]],
  },
  "node.info": {
    valid: {
      implementation: "Bitcoin Knots",
      version: "31.99.0",
      implementationVersion: "20250101-abc",
      userAgent: "/Satoshi:31.99.0/Knots:20250101-abc/",
      chain: "regtest",
      multiprocess: false,
      ipcCapable: false,
    },
    invalid: [[{ implementation: "Bitcoin Cash", version: "1" }, "data.implementation"]],
  },
};

const envelope = (type: string, data: unknown) => ({ v: 1, ts: 1795470474000000, node: "n1", source: "ipc", type, data });

describe("event model", () => {
  it("has a test case for every event type", () => {
    expect(Object.keys(cases).sort()).toEqual([...EVENT_TYPES].sort());
  });

  for (const type of EVENT_TYPES) {
    describe(type, () => {
      it("accepts valid data and survives an NDJSON round trip", () => {
        const r = decodeEvent(envelope(type, cases[type].valid));
        expect(r.ok, r.ok ? "" : JSON.stringify(r.error)).toBe(true);
        if (!r.ok) return;
        const again = decodeEventLine(encodeEvent(r.value));
        expect(again).toEqual({ ok: true, value: r.value });
      });
      for (const [data, where] of cases[type].invalid) {
        it(`rejects bad data at ${where}`, () => {
          const r = decodeEvent(envelope(type, data));
          expect(r.ok).toBe(false);
          if (r.ok) return;
          expect(r.error.where).toBe(where);
          expect(r.error.what).toBe(`${type} event`);
          expect(r.error.why.length).toBeGreaterThan(0);
        });
      }
    });
  }

  it("validates every polled RPC method against the real regtest replies", () => {
    for (const method of RPC_SNAPSHOT_METHODS) {
      const r = decodeEvent(envelope("rpc.snapshot", { method, result: captureJson(`rpc/${method}.json`) }));
      expect(r.ok, `${method}: ${r.ok ? "" : JSON.stringify(r.error)}`).toBe(true);
    }
  });

  it("keeps fields that newer nodes add to RPC results", () => {
    const result = { ...(captureJson("rpc/getmempoolinfo.json") as object), shiny_new_field: 7 };
    const r = decodeEvent(envelope("rpc.snapshot", { method: "getmempoolinfo", result }));
    expect(r.ok && (r.value.data as { result: Record<string, unknown> }).result.shiny_new_field).toBe(7);
  });

  describe("envelope", () => {
    const good = envelope("tip.changed", { height: 1, hash: H });
    it.each([
      ["v", { ...good, v: 2 }],
      ["ts", { ...good, ts: 1.5 }],
      ["ts", { ...good, ts: -1 }],
      ["node", { ...good, node: "" }],
      ["source", { ...good, source: "telepathy" }],
      ["type", { ...good, type: "tip.exploded" }],
    ])("rejects a bad %s", (where, input) => {
      const r = decodeEvent(input);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.where).toBe(where);
    });

    it.each([null, 42, "text", [], undefined])("rejects %j without throwing", (input) => {
      expect(decodeEvent(input).ok).toBe(false);
    });
  });

  describe("NDJSON lines", () => {
    it("reports broken JSON with its line number", () => {
      const r = decodeEventLine('{"v":1,', "line 12");
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.where).toBe("line 12");
        expect(r.error.why).toMatch(/^not JSON/);
      }
    });
    it("refuses an oversized line before parsing it", () => {
      const r = decodeEventLine("x".repeat(10 * 1024 * 1024));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.why).toMatch(/exceeds/);
    });
    it("accepts bytes as well as text", () => {
      const line = Buffer.from(JSON.stringify(envelope("tip.changed", { height: 1, hash: H })));
      expect(decodeEventLine(line).ok).toBe(true);
    });
  });

  describe("makeEvent", () => {
    it("stamps version, microsecond time, node and source", () => {
      const before = Date.now() * 1000;
      const e = makeEvent("p2p", "n1", "ping.rtt", { rttNs: 1000, target: "127.0.0.1:18444" });
      expect(e).toMatchObject({ v: 1, node: "n1", source: "p2p", type: "ping.rtt" });
      expect(Number.isInteger(e.ts)).toBe(true);
      expect(e.ts).toBeGreaterThanOrEqual(before - 5000);
      expect(e.ts).toBeLessThanOrEqual(Date.now() * 1000 + 5000);
    });
    it("refuses to build an invalid event in tests (catches source bugs)", () => {
      expect(() => makeEvent("p2p", "n1", "ping.rtt", { rttNs: -1, target: "x" })).toThrow(/data.rttNs/);
    });
  });
});
