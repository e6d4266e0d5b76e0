// The shipped recording (data/regtest-demo.ndjson.gz, made by scripts/record-demo/run.sh from a real
// regtest bitcoin-node): every line is a valid event of the model, it holds what data/README.md says
// it holds, and the live /metrics scrape saved beside it agrees with it.
import fs from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeEventLine, formatDecodeError, type PeerwatchEvent } from "../../src/events/index.js";
import { REPO_ROOT } from "../helpers/capture.js";

const RECORDING = path.join(REPO_ROOT, "data/regtest-demo.ndjson.gz");
const SCRAPE = path.join(REPO_ROOT, "data/regtest-demo.metrics.txt");

/** `peerwatch_events_total{source="x",type="y"} n` lines of a Prometheus text scrape. */
function eventCounters(scrape: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of scrape.matchAll(/^peerwatch_events_total\{source="([^"]+)",type="([^"]+)"\} (\d+)$/gm)) {
    out.set(`${m[1]} ${m[2]}`, Number(m[3]));
  }
  return out;
}

describe("data/regtest-demo.ndjson.gz", () => {
  const events: PeerwatchEvent[] = [];
  const errors: string[] = [];
  let bytes = 0;
  beforeAll(() => {
    const gz = fs.readFileSync(RECORDING);
    bytes = gz.length;
    const lines = gunzipSync(gz).toString("utf8").split("\n");
    if (lines.at(-1) === "") lines.pop();
    lines.forEach((l, i) => {
      const r = decodeEventLine(l, `line ${i + 1}`);
      if (r.ok) events.push(r.value);
      else errors.push(formatDecodeError(r.error));
    });
  });
  const ofType = <T extends PeerwatchEvent["type"]>(t: T) => events.filter((e): e is Extract<PeerwatchEvent, { type: T }> => e.type === t);

  it("is at most 3 MB and every line is a valid event", () => {
    expect(bytes).toBeLessThanOrEqual(3 * 1024 * 1024);
    expect(errors.slice(0, 5)).toEqual([]);
    expect(events.length).toBeGreaterThan(1000);
  });

  it("has every source up, in time order per source, and names no path of the machine that made it", () => {
    const up = new Set(
      ofType("source.status")
        .filter((e) => e.data.state === "up")
        .map((e) => e.data.source),
    );
    expect([...up].sort()).toEqual(["ebpf", "ipc", "log", "p2p", "proc", "rpc"]);
    expect(new Set(events.map((e) => e.node))).toEqual(new Set(["regtest-demo"]));
    const text = JSON.stringify(ofType("source.status"));
    expect(text).not.toMatch(/\/(tmp|home|root)\//);
  });

  it("sees at least two real peers besides peerwatch's pinger and the flood peer", () => {
    const cores = (e: Extract<PeerwatchEvent, { type: "peers.snapshot" }>) => e.data.peers.filter((p) => p.subversion.startsWith("/Satoshi:"));
    expect(Math.max(...ofType("peers.snapshot").map((e) => cores(e).length))).toBeGreaterThanOrEqual(2);
    const kinds = new Set(ofType("peers.snapshot").flatMap((e) => cores(e).map((p) => (p.inbound ? "inbound" : "outbound"))));
    expect(kinds).toEqual(new Set(["inbound", "outbound"]));
    expect(ofType("net.connection").length).toBeGreaterThan(0);
  });

  it("has blocks from IPC and eBPF, mempool traffic with an RBF replacement and rejections", () => {
    expect(ofType("tip.changed").filter((e) => e.source === "ipc").length).toBeGreaterThanOrEqual(3);
    expect(ofType("block.connected").filter((e) => e.source === "ebpf").length).toBeGreaterThanOrEqual(3);
    expect(ofType("mempool.added").length).toBeGreaterThanOrEqual(5);
    expect(ofType("mempool.replaced").length).toBeGreaterThanOrEqual(2);
    const reasons = ofType("mempool.rejected").map((e) => e.data.reason);
    expect(reasons.some((r) => /insufficient fee/.test(r))).toBe(true);
    expect(reasons.some((r) => /min relay fee not met/.test(r))).toBe(true);
  });

  it("has the flood peer's pings and the ping-spam alert they raised, and no other alert", () => {
    const alerts = ofType("alert");
    const spam = alerts.filter((a) => a.data.name === "ping-spam");
    expect(spam).toHaveLength(1);
    const pingsIn = ofType("net.message").filter((e) => e.data.msgType === "ping" && e.data.direction === "in" && e.data.peerId === spam[0]?.data.peerId);
    expect(pingsIn.length).toBeGreaterThan(20);
    expect(alerts.filter((a) => a.data.severity !== "info" && a.data.name !== "ping-spam")).toEqual([]);
  });

  it("agrees with the live /metrics scrape taken just before peerwatch stopped", () => {
    const counters = eventCounters(fs.readFileSync(SCRAPE, "utf8"));
    expect(counters.size).toBeGreaterThan(10);
    const recorded = new Map<string, number>();
    const tail = new Map<string, number>(); // events of the last 5 s: what may follow the scrape
    const end = Math.max(...events.map((e) => e.ts));
    for (const e of events) {
      const key = `${e.source} ${e.type}`;
      recorded.set(key, (recorded.get(key) ?? 0) + 1);
      if (e.ts > end - 5_000_000) tail.set(key, (tail.get(key) ?? 0) + 1);
    }
    // The scrape comes just before SIGINT: the recording may hold a few more events (the last polls
    // and the shutdown statuses), never fewer; the alert count is exact.
    for (const [key, n] of counters) {
      expect(recorded.get(key) ?? 0, key).toBeGreaterThanOrEqual(n);
      expect((recorded.get(key) ?? 0) - n, key).toBeLessThanOrEqual(tail.get(key) ?? 0);
    }
    expect(recorded.get("peerwatch alert")).toBe(counters.get("peerwatch alert"));
  });
});
