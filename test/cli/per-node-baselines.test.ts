// `peerwatch tools` keeps each node's learnt baseline in a state file of its own (--baseline-state
// <dir>): the per-node tools over an in-process bus learn two nodes (one with a hostile name),
// close (saving), and a second set started on the same directory is warm at once: a flood right
// after the restart is an anomaly, where a set without the directory is still warming up. Node
// names become safe file names in the directory; a damaged node file is a warning naming the node.
// Simulated event time only.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { MemoryBus } from "../../src/bus/index.js";
import { CommandFailed } from "../../src/cli/command.js";
import { PerNodeTools } from "../../src/cli/per-node-tools.js";
import { toolsFromNats } from "../../src/cli/tools-command.js";
import { loadToolsCommandConfig } from "../../src/cli/tools-command-options.js";
import type { PeerwatchEvent } from "../../src/events/index.js";
import { loadIpLists } from "../../src/iplists/load-lists.js";
import { createLogger } from "../../src/logger.js";
import { DEFAULT_THRESHOLDS } from "../../src/tools/alerts/thresholds.js";
import { nodeStateFileName } from "../../src/tools/baselines/state-file.js";
import { ev, msg } from "../helpers/events.js";

const lists = loadIpLists();
const root = fs.mkdtempSync(path.join(os.tmpdir(), "pw-per-node-baselines-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const MIN = 60_000_000;
const T0 = 1_800_000_000_000_000;
const HOSTILE = "../../escaped/../.hidden node\u0000é";

const at = (node: string, ts: number, type: string, peerId = 3): PeerwatchEvent =>
  ({ ...ev("net.message", msg(peerId, type, "in", 32, { addr: `127.0.9.${peerId}:40000` })), node, ts }) as PeerwatchEvent;

/** Two hours of a quiet node: 20 pings and 10 inv a minute. */
function* quiet(node: string, from: number): Generator<PeerwatchEvent> {
  for (let m = 0; m < 120; m++) for (let i = 0; i < 30; i++) yield at(node, from + m * MIN + i * 2_000_000, i % 3 === 2 ? "inv" : "ping");
}

function capturedLog(): { log: ReturnType<typeof createLogger>; text: () => string } {
  const out = new PassThrough();
  let text = "";
  out.on("data", (d: Buffer) => (text += d.toString()));
  return { log: createLogger({ level: "info", format: "json", destination: out }), text: () => text };
}

interface Started {
  bus: MemoryBus;
  tools: PerNodeTools;
  alerts: PeerwatchEvent[];
  text: () => string;
}

function start(dir?: string): Started {
  const bus = new MemoryBus({ nodeName: "tools" });
  const { log, text } = capturedLog();
  const tools = new PerNodeTools(bus, lists, DEFAULT_THRESHOLDS, { nodeName: "tools", log, ...(dir ? { baselineStateDir: dir } : {}) });
  tools.attach();
  const alerts: PeerwatchEvent[] = [];
  bus.subscribe({ name: "test", prefixes: ["alert"] }, (e) => void alerts.push(e));
  return { bus, tools, alerts, text };
}

async function feed(s: Started, events: Iterable<PeerwatchEvent>): Promise<void> {
  for (const e of events) {
    s.bus.publish(e);
    if (!s.bus.hasRoom(1000)) await s.bus.drained();
  }
  await s.bus.drained();
}

async function stop(s: Started): Promise<void> {
  await s.bus.drained();
  s.tools.close();
  await s.bus.close();
}

/** A ping flood of node `node` from peer 66 at `from`, and an event a minute later that closes its bucket. */
const flood = (node: string, from: number): PeerwatchEvent[] => [
  ...Array.from({ length: 5000 }, (_, i) => at(node, from + i * 6000, "ping", 66)),
  at(node, from + 2 * MIN, "ping"),
];

const anomalies = (s: Started, node: string) => s.alerts.filter((a) => a.type === "alert" && a.node === node && a.data.name === "anomaly");

describe("peerwatch tools: a baseline state file per node", () => {
  it("keeps each node's learnt normal across a restart of the per-node tools, in safe file names", async () => {
    const dir = path.join(root, "state");
    const a = start(dir);
    await feed(a, quiet("n1", T0));
    await feed(a, quiet(HOSTILE, T0));
    const learnt = a.tools.baselinesOf("n1")!.normal("msg:ping:in");
    expect(learnt!.n).toBeGreaterThanOrEqual(100);
    expect(anomalies(a, "n1")).toEqual([]);
    await stop(a);

    // One file per node, in the directory and nowhere else, named from the node safely.
    const files = fs.readdirSync(dir).sort();
    expect(files).toEqual([nodeStateFileName(HOSTILE), nodeStateFileName("n1")].sort());
    for (const f of files) expect(f).toMatch(/^[A-Za-z0-9_-]{1,64}-[0-9a-f]{16}\.json$/);
    expect(fs.existsSync(path.join(root, "escaped"))).toBe(false);
    expect(fs.readdirSync(root)).toEqual(["state"]);
    expect(a.text()).not.toMatch(/"level":40/);

    // Restarted on the same directory: warm at once, so a flood right away is an anomaly on that node only.
    const b = start(dir);
    const after = T0 + 121 * MIN;
    await feed(b, [at("n1", after, "ping"), at(HOSTILE, after, "ping")]);
    expect(b.tools.baselinesOf("n1")!.normal("msg:ping:in")).toEqual(learnt);
    expect(b.tools.baselinesOf(HOSTILE)!.normal("msg:ping:in")!.n).toBe(learnt!.n);
    await feed(b, flood("n1", after + MIN));
    expect(anomalies(b, "n1").map((x) => (x.type === "alert" ? x.data.detail : ""))).toEqual([
      expect.stringMatching(/^ping messages received per minute: 5,0[0-9]{2} in the 60 s .* most from peer 66 \(127\.0\.9\.66:40000\)/),
    ]);
    expect(anomalies(b, HOSTILE)).toEqual([]);
    await stop(b);

    // Without the directory the same flood after the same start is not seen: the normal is still warming up.
    const c = start();
    await feed(c, [at("n1", after, "ping"), ...flood("n1", after + MIN)]);
    expect(anomalies(c, "n1")).toEqual([]);
    await stop(c);
  });

  it("starts a node afresh, with a warning naming the node, when its state file is damaged", async () => {
    const dir = path.join(root, "damaged");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, nodeStateFileName("n2")), "{ not json");
    const s = start(dir);
    await feed(s, [at("n2", T0, "ping")]);
    expect(s.tools.baselinesOf("n2")!.normal("msg:ping:in")).toBeUndefined();
    expect(s.text()).toMatch(/"level":40,[^\n]*"node":"n2"[^\n]*baseline state [^\n]*: starting afresh/);
    await stop(s);
  });

  it("refuses a --baseline-state that is a file (exit 2, before connecting to NATS): for tools it is a directory", async () => {
    const file = path.join(root, "a-file.json");
    fs.writeFileSync(file, "{}");
    const { log, text } = capturedLog();
    const config = loadToolsCommandConfig({ nats: "nats://127.0.0.1:1", metrics: "off", baselineState: file }, {});
    const failed = await toolsFromNats(config, log).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(CommandFailed);
    expect((failed as CommandFailed).exitCode).toBe(2);
    expect(text()).toMatch(/--baseline-state .*a-file\.json is not a directory \(for peerwatch tools it is a directory: one state file per node\)/);
  });

  it("names state files safely whatever the node's name", () => {
    const names = ["n1", "", ".", "..", "../x", "a/b", "a_b", "/etc/passwd", "x".repeat(128), "é".repeat(128), "con", "a\\b", "\u0000"];
    const files = names.map(nodeStateFileName);
    for (const f of files) {
      expect(f).toMatch(/^[A-Za-z0-9_-]{1,64}-[0-9a-f]{16}\.json$/);
      expect(path.basename(f)).toBe(f);
    }
    expect(new Set(files).size).toBe(names.length); // "a/b" and "a_b" differ
  });
});
