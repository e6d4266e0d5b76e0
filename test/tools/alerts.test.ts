// Each heuristic on scripted event sequences: the attack raises its alert, normal traffic nothing.
import { describe, expect, it } from "vitest";
import type { PeerwatchEvent } from "../../src/events/index.js";
import { AlertEngine, defaultHeuristics } from "../../src/tools/alerts/alert-engine.js";
import { DEFAULT_THRESHOLDS, loadThresholds, type Thresholds } from "../../src/tools/alerts/thresholds.js";
import { DEFAULT_LISTS_DIR, loadIpLists } from "../../src/iplists/load-lists.js";
import { ev, msg, peer } from "../helpers/events.js";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const lists = loadIpLists(DEFAULT_LISTS_DIR);
function run(events: PeerwatchEvent[], t: Thresholds = DEFAULT_THRESHOLDS) {
  const engine = new AlertEngine(defaultHeuristics(t, lists.tree), t);
  return events.flatMap((e) => engine.onEvent(e));
}
const names = (alerts: { name: string }[]) => alerts.map((a) => a.name);
/** A peer in a netgroup of its own, as a real node's peers are (several in one /16 is what the eclipse detectors look for). */
const spread = (id: number, over: Parameters<typeof peer>[1] = {}) => peer(id, { addr: `${20 + id}.${id % 250}.0.1:8333`, ...over });

describe("ping spam", () => {
  it("alerts on a peer pinging 30 times a minute, once", () => {
    const alerts = run(Array.from({ length: 30 }, (_, i) => ev("net.message", msg(5, "ping"), i * 2)));
    expect(alerts).toEqual([{ name: "ping-spam", severity: "warning", peerId: 5, detail: expect.stringMatching(/peer 5 .* sent 21 pings in 60 s/) }]);
  });
  it("stays quiet for Core's pace (one every 2 minutes) and for our own outbound pings", () => {
    expect(run(Array.from({ length: 100 }, (_, i) => ev("net.message", msg(5, "ping"), i * 120)))).toEqual([]);
    expect(run(Array.from({ length: 100 }, (_, i) => ev("net.message", msg(5, "ping", "out"), i)))).toEqual([]);
  });
});

describe("addr spam", () => {
  const addr = (peerId: number, entries: number, at: number) => ev("net.message", msg(peerId, "addrv2", "in", 10 + entries * 10, { decoded: { entries } }), at);
  it("alerts when a peer keeps sending more than Core's token bucket allows", () => {
    // 1000 answering our getaddr is fine; then 10 × 1000 more within a minute is not
    const alerts = run([addr(3, 1000, 0), ...Array.from({ length: 10 }, (_, i) => addr(3, 1000, 10 + i * 5))]);
    expect(names(alerts)).toEqual(["addr-spam"]);
    expect(alerts[0]?.peerId).toBe(3);
  });
  it("stays quiet for a getaddr answer and normal gossip (a few addresses every 30 s)", () => {
    const out = (peerId: number, entries: number, at: number) =>
      ev("net.message", msg(peerId, "addrv2", "in", 10 + entries * 10, { connType: "outbound-full-relay", decoded: { entries } }), at);
    expect(run([out(3, 1000, 0), ...Array.from({ length: 200 }, (_, i) => out(3, 2, 30 + i * 30))])).toEqual([]);
    expect(run(Array.from({ length: 200 }, (_, i) => addr(4, 2, i * 30)))).toEqual([]);
  });
  it("alerts on an inbound peer's slow drip within 30 s: Core gives inbound peers no getaddr allowance", () => {
    // The lab's addr-drip: 10 addresses every 250 ms, below any per-message threshold.
    const alerts = run(Array.from({ length: 160 }, (_, i) => addr(5, 10, i * 0.25)));
    expect(names(alerts)).toEqual(["addr-spam"]);
  });
});

describe("inbound churn", () => {
  const closed = (id: number, at: number, connType = "inbound") =>
    ev("net.connection", { kind: "closed", peerId: id, addr: "203.0.113.9:5000", connType, network: "ipv4", connectedAt: 1 }, at);
  it("alerts on 40 inbound closes within a minute", () => {
    expect(names(run(Array.from({ length: 40 }, (_, i) => closed(i, i))))).toEqual(["inbound-churn"]);
  });
  it("stays quiet for one a minute, and for outbound closes", () => {
    expect(run(Array.from({ length: 100 }, (_, i) => closed(i, i * 60)))).toEqual([]);
    expect(run(Array.from({ length: 100 }, (_, i) => closed(i, i, "outbound-full-relay")))).toEqual([]);
  });
  // IPC tracing: no connection events, but each new connection's version, with its address.
  const version = (id: number, at: number, addr: string, connType = "inbound") =>
    ev(
      "net.message",
      msg(id, "version", "in", 102, { addr, connType, decoded: { version: { version: 70016, services: "0000000000000409", userAgent: "/Satoshi:27.0.0/" } } }),
      at,
      "ipc",
    );
  it("alerts on 31 new inbound connections from one netgroup within a minute, seen by their version messages alone", () => {
    const alerts = run(Array.from({ length: 40 }, (_, i) => version(100 + i, i * 0.125, `203.0.113.${i % 250}:5000`)));
    expect(alerts).toEqual([
      {
        name: "inbound-churn",
        severity: "warning",
        detail: expect.stringMatching(
          /^31 new inbound connections from 203\.0\/16 in the last minute, the latest peer 130 \(203\.0\.113\.30:5000, \/Satoshi:27\.0\.0\/\) .*threshold 30 a minute/,
        ),
      },
    ]);
  });
  it("stays quiet for new inbound peers from all over, one per peer id however often it repeats its version, and outbound", () => {
    expect(run(Array.from({ length: 200 }, (_, i) => version(100 + i, i * 0.1, `${20 + (i % 200)}.${i}.0.1:8333`)))).toEqual([]);
    expect(names(run(Array.from({ length: 100 }, (_, i) => version(7, i * 0.1, "203.0.113.7:5000"))))).not.toContain("inbound-churn");
    expect(run(Array.from({ length: 100 }, (_, i) => version(100 + i, i * 0.1, `203.0.113.${i}:8333`, "outbound-full-relay")))).toEqual([]);
    expect(run(Array.from({ length: 100 }, (_, i) => version(100 + i, i * 2.5, `203.0.113.${i}:5000`)))).toEqual([]);
  });
});

describe("processing backlog", () => {
  const rtt = (seconds: number, at: number) => ev("ping.rtt", { rttNs: Math.round(seconds * 1e9), target: "127.0.0.1:8333" }, at, "p2p");
  const threads = (msghandCpu: number, at: number) =>
    ev("threads.snapshot", { pid: 10, threads: [{ tid: 11, name: "b-msghand", userSeconds: msghandCpu, systemSeconds: 0 }] }, at, "proc");
  it("alerts when the pinger's p95 is over a second, with b-msghand's CPU share as context", () => {
    const alerts = run([threads(100, 0), threads(109.5, 10), ...Array.from({ length: 10 }, (_, i) => rtt(2 + i * 0.1, 11 + i))]);
    expect(alerts).toEqual([
      { name: "processing-backlog", severity: "critical", detail: expect.stringMatching(/p95 2\.[0-9]{3} s .*b-msghand at 95% of a CPU/) },
    ]);
  });
  it("stays quiet for a loopback baseline with a block-validation spike", () => {
    const events = Array.from({ length: 60 }, (_, i) => rtt(i === 30 ? 1.5 : 0.0004, i * 10));
    expect(run(events)).toEqual([]);
  });
});

describe("listed addresses", () => {
  it("alerts on a LinkingLion connection, once per peer", () => {
    const conn = (id: number, addr: string, at: number) =>
      ev("net.connection", { kind: "inbound", peerId: id, addr, connType: "inbound", network: "ipv4", existing: 10 }, at);
    const alerts = run([
      conn(1, "162.218.65.200:40000", 0),
      conn(2, "203.0.113.5:40000", 1),
      ev("peers.snapshot", { peers: [peer(1, { addr: "162.218.65.200:40000" })] }, 2),
    ]);
    expect(alerts).toEqual([{ name: "listed-address", severity: "warning", peerId: 1, detail: "peer 1 (162.218.65.200:40000) is on the linkinglion list" }]);
  });
});

describe("low fee filter", () => {
  it("reports a tx-relaying peer under 1 sat/vB (info), not block-relay-only peers", () => {
    const alerts = run([
      ev("peers.snapshot", { peers: [spread(1, { minFeeFilterSatVb: 0.1 }), spread(2), spread(3, { relayTxes: false, minFeeFilterSatVb: 0 })] }, 0, "rpc"),
    ]);
    expect(alerts).toEqual([{ name: "low-feefilter", severity: "info", peerId: 1, detail: expect.stringMatching(/relays transactions down to 0.1 sat\/vB/) }]);
  });
});

describe("v2 transport share", () => {
  const snap = (v2: number, total: number, at: number) =>
    ev("peers.snapshot", { peers: Array.from({ length: total }, (_, i) => spread(i, { transport: i < v2 ? "v2" : "v1" })) }, at, "rpc");
  it("alerts when the v2 share falls from 80% to 30% within the window", () => {
    expect(names(run([snap(8, 10, 0), snap(8, 10, 10), snap(3, 10, 20)]))).toEqual(["v2-share-drop"]);
  });
  it("stays quiet for small moves, few peers, and a slow change over hours", () => {
    expect(run([snap(8, 10, 0), snap(7, 10, 10), snap(6, 10, 20)])).toEqual([]);
    expect(run([snap(5, 5, 0), snap(0, 5, 10)])).toEqual([]);
    expect(run(Array.from({ length: 10 }, (_, i) => snap(9 - i, 10, i * 3600)))).toEqual([]);
  });
});

describe("alert thresholds", () => {
  it("are configurable from a JSON file, validated", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-alerts-"));
    const good = path.join(dir, "a.json");
    fs.writeFileSync(good, JSON.stringify({ pingSpamCount: 5 }));
    const t = loadThresholds(good);
    expect(t.pingSpamCount).toBe(5);
    expect(
      names(
        run(
          Array.from({ length: 6 }, (_, i) => ev("net.message", msg(5, "ping"), i)),
          t,
        ),
      ),
    ).toEqual(["ping-spam"]);
    const bad = path.join(dir, "b.json");
    fs.writeFileSync(bad, JSON.stringify({ pingSpamCount: -1, nope: 1 }));
    expect(() => loadThresholds(bad)).toThrow(/alert thresholds .*b\.json/);
  });

  it("normal traffic of a busy node raises nothing", () => {
    const events: PeerwatchEvent[] = [];
    for (let s = 0; s < 600; s++) {
      events.push(ev("net.message", msg(s % 40, "inv", "in", 37, { decoded: { entries: 1, invTypes: { wtx: 1 } } }), s));
      if (s % 30 === 0) events.push(ev("net.message", msg(s % 40, "addrv2", "in", 30, { decoded: { entries: 1 } }), s));
      if (s % 120 === 0) events.push(ev("net.message", msg(s % 40, "ping"), s));
      if (s % 10 === 0) events.push(ev("ping.rtt", { rttNs: 300_000, target: "127.0.0.1:8333" }, s, "p2p"));
      if (s % 60 === 0) events.push(ev("peers.snapshot", { peers: Array.from({ length: 40 }, (_, i) => spread(i)) }, s, "rpc"));
    }
    expect(run(events)).toEqual([]);
  });
});
