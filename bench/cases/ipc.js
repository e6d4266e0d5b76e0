// The IPC tracing path end to end: the C++ stand-in node (test/ipc/standin/) pushes a flood of
// net-message trace batches; `peerwatch observe --sources ipc` (its own process, every tool on:
// metrics, alerts, NDJSON to /dev/null) receives them. Reports events/s received, drops (messages
// pushed − net.message events counted, and peerwatch's own events.dropped) and peerwatch's CPU per
// event from /proc. The stand-in is built by the IPC tests (`npx vitest run test/ipc/ipc-cli.test.ts`
// builds test/.build/standin-node); without it this benchmark says so and skips.
// BENCH_IPC_CPU_PROF=<dir> writes a CPU profile of peerwatch there; BENCH_IPC_EVENTS=off runs it
// without NDJSON out (metrics and alerts only), to show NDJSON's share.
//
// Two modes. BENCH_IPC_MODE=burst (the default): BENCH_IPC_BATCHES (300) `trace 1024 0` commands at
// once, every command's batches in flight at once: a burst no node sends. BENCH_IPC_MODE=flood: the
// stand-in's `flood` command, paced like a node: BENCH_IPC_MESSAGES (500,000) produced at
// BENCH_IPC_RATE a second (100,000) into the node-side queue peerwatch asked for
// (BENCH_IPC_QUEUE, default the node's 65,536; batches of BENCH_IPC_BATCH_EVENTS, 1024, within
// 1000 µs), one batch in flight, what does not fit dropped and counted as the tracing fork does;
// BENCH_IPC_MIX=trace (the default: ping, inv, version, feefilter in turn) or ping (what a real ping
// flood traces: the flooding peer's inbound pings, each followed by our outbound pong). It
// reports the share counted, the drops in the stand-in's queue and in peerwatch's bus, and peerwatch's
// CPU per message: the figures of docs/benchmarks.md's real node under a 500k-ping flood.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fmt, record, results, root } from "../lib.js";

const BATCH = 1024;
const BATCHES = Number(process.env.BENCH_IPC_BATCHES ?? 300);
const MODE = process.env.BENCH_IPC_MODE ?? "burst";
const MESSAGES = Number(process.env.BENCH_IPC_MESSAGES ?? 500_000);
const RATE = Number(process.env.BENCH_IPC_RATE ?? 100_000);
const QUEUE = Number(process.env.BENCH_IPC_QUEUE ?? 65_536);
const BATCH_EVENTS = Number(process.env.BENCH_IPC_BATCH_EVENTS ?? 1024);
const MIX = process.env.BENCH_IPC_MIX ?? "trace";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds (user + system) of a process so far, from /proc. */
function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime in clock ticks: 100 a second on Linux
}

async function freePort() {
  const s = net.createServer().listen(0, "127.0.0.1");
  await new Promise((r) => s.once("listening", r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/** A sum of a metric's samples whose labels contain `match`, from a /metrics text. */
function metricSum(text, name, match = "") {
  let sum = 0;
  for (const line of text.split("\n")) if (line.startsWith(`${name}{`) && line.includes(match)) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  return sum;
}

export async function run() {
  if (MODE !== "burst" && MODE !== "flood") throw new Error(`BENCH_IPC_MODE is burst or flood, not ${MODE}`);
  if (MIX !== "trace" && MIX !== "ping") throw new Error(`BENCH_IPC_MIX is trace or ping, not ${MIX}`);
  const bin = path.join(root, "test/.build/standin-node");
  if (!fs.existsSync(bin)) {
    console.log(
      `\nIPC tracing flood: SKIPPED: the stand-in node is not built (${path.relative(root, bin)}); run the IPC tests once (they build it with g++ and ` +
        `libcapnp-dev)`,
    );
    results.push({ title: "ipc", skipped: "stand-in not built" });
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-bench-ipc-"));
  const socket = path.join(dir, "node.sock");
  const node = spawn(bin, [socket, path.join(root, "test/fixtures/regtest-capture/rpc"), "--tracing"], { stdio: ["pipe", "pipe", "inherit"] });
  let nodeOut = "";
  node.stdout.on("data", (d) => (nodeOut += d));
  const port = await freePort();
  let pw;
  try {
    for (let i = 0; !nodeOut.includes("listening"); i++) {
      if (i > 200) throw new Error(`stand-in did not start: ${nodeOut}`);
      await sleep(50);
    }
    const profile = process.env.BENCH_IPC_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_IPC_CPU_PROF}`] : [];
    pw = spawn(
      process.execPath,
      [
        ...profile,
        path.join(root, "bin/peerwatch.js"),
        "observe",
        "--sources",
        "ipc",
        "--ipc-socket",
        socket,
        ...(process.env.BENCH_IPC_EVENTS === "off" ? [] : ["--events", "/dev/null"]),
        "--metrics",
        `127.0.0.1:${port}`,
        "--rpc-interval",
        "60",
        "--rpc-slow-interval",
        "600",
        "--node-name",
        "bench",
        "--log-level",
        "warn",
        ...(MODE === "flood" ? ["--ipc-trace-queue-events", String(QUEUE), "--ipc-trace-batch-events", String(BATCH_EVENTS)] : []),
      ],
      { stdio: ["ignore", "ignore", "inherit"] },
    );
    const scrape = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    let text = "";
    for (let i = 0; !/peerwatch_source_up\{source="ipc"\} 1/.test(text); i++) {
      if (i > 300) throw new Error("peerwatch did not report the IPC source up");
      await sleep(100);
      text = await scrape().catch(() => "");
    }
    if (MODE === "flood") {
      await runFlood({ node, pw, scrape, text0: text, nodeOut: () => nodeOut });
      return;
    }
    const cpu0 = cpuSeconds(pw.pid);
    const text0 = text;
    const received0 = metricSum(text, "peerwatch_events_total", 'type="net.message"');
    const t0 = performance.now();
    node.stdin.write(`trace ${BATCH} 0\n`.repeat(BATCHES));
    const sent = BATCH * BATCHES;
    let received = 0;
    let last = -1;
    let tLast = t0;
    for (let idle = 0; idle < 20 && received < sent; ) {
      await sleep(250);
      text = await scrape();
      received = metricSum(text, "peerwatch_events_total", 'type="net.message"') - received0;
      if (received === last) idle++;
      else {
        idle = 0;
        last = received;
        tLast = performance.now();
      }
    }
    const cpu = cpuSeconds(pw.pid) - cpu0;
    const seconds = (tLast - t0) / 1000;
    // The bus sums its drops into events.dropped once a second: let the last report land.
    await sleep(1500);
    text = await scrape();
    const busDropped = metricSum(text, "peerwatch_events_dropped_total");
    const dropLines = text
      .split("\n")
      .filter((l) => l.startsWith("peerwatch_events_dropped_total{"))
      .map((l) => l.replace("peerwatch_events_dropped_total", ""))
      .join(", ");
    const p2pCounted = metricSum(text, "peerwatch_p2p_messages_total") - metricSum(text0, "peerwatch_p2p_messages_total");
    const figures = {
      "messages pushed by the stand-in": sent,
      "net.message events received (counted by the metrics tool)": received,
      "counted in peerwatch_p2p_messages_total": `${fmt(p2pCounted)} (${((100 * p2pCounted) / sent).toFixed(1)} %)`,
      "lost (pushed − received)": sent - received,
      "peerwatch events.dropped (all reasons)": `${fmt(busDropped)}${dropLines ? `: ${dropLines}` : ""}`,
      "events/s received (wall)": received / seconds,
      "peerwatch CPU per event received": `${((cpu * 1e6) / Math.max(1, received)).toFixed(1)} µs (${fmt(received / cpu)} events per CPU-second)`,
      "peerwatch CPU per message pushed": `${((cpu * 1e6) / sent).toFixed(2)} µs`,
    };
    record(`IPC tracing flood: ${BATCHES} batches of ${BATCH} net messages from the C++ stand-in, peerwatch observe with every tool`, figures);
    results.push({ title: "ipc", sent, received, p2pCounted, busDropped, seconds, cpuSeconds: cpu });
  } finally {
    if (pw && pw.exitCode === null) {
      const exited = new Promise((r) => pw.once("exit", r));
      pw.kill("SIGTERM");
      await Promise.race([exited, sleep(10_000)]);
    }
    node.kill("SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Drops in a /metrics text: those the node reported (its trace queue was full) and all the others (peerwatch's bus and tools). */
function dropsOf(text) {
  let node = 0;
  let other = 0;
  const lines = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("peerwatch_events_dropped_total{")) continue;
    const v = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (line.includes("trace queue was full")) node += v;
    else other += v;
    if (v > 0) lines.push(line.replace("peerwatch_events_dropped_total", ""));
  }
  return { node, other, lines: lines.join(", ") };
}

/** BENCH_IPC_MODE=flood: the stand-in's `flood`, paced like a node, into the queue peerwatch asked for. */
async function runFlood({ node, pw, scrape, text0, nodeOut }) {
  const cpu0 = cpuSeconds(pw.pid);
  const nodeCpu0 = cpuSeconds(node.pid);
  const from = nodeOut().length;
  const t0 = performance.now();
  node.stdin.write(`flood ${MESSAGES} ${RATE} ${MIX}\n`);
  let reply;
  for (let i = 0; ; i++) {
    reply = /^(ok|error) flood.*$/m.exec(nodeOut().slice(from))?.[0];
    if (reply) break;
    if (i > (MESSAGES / RATE) * 20 + 1200) throw new Error("the stand-in did not finish its flood");
    await sleep(50);
  }
  const seconds = (performance.now() - t0) / 1000;
  if (!reply.startsWith("ok")) throw new Error(`stand-in: ${reply}`);
  const n = (k) => Number(new RegExp(`${k}=(\\d+)`).exec(reply)?.[1]);
  const produced = n("produced");
  const queued = n("queued");
  const nodeDropped = n("dropped");
  const delivered = n("delivered");
  // The stand-in says delivered once peerwatch returned the last call; let the tools and the bus's
  // once-a-second drop report catch up.
  let text = await scrape();
  let last = -1;
  for (let idle = 0; idle < 8; ) {
    await sleep(250);
    text = await scrape();
    const c = metricSum(text, "peerwatch_p2p_messages_total");
    if (c === last) idle++;
    else {
      idle = 0;
      last = c;
    }
  }
  await sleep(1500);
  text = await scrape();
  const cpu = cpuSeconds(pw.pid) - cpu0;
  const nodeCpu = cpuSeconds(node.pid) - nodeCpu0;
  const counted = metricSum(text, "peerwatch_p2p_messages_total") - metricSum(text0, "peerwatch_p2p_messages_total");
  const before = dropsOf(text0);
  const after = dropsOf(text);
  const reportedByNode = after.node - before.node;
  const busDropped = after.other - before.other;
  const pct = (x) => `${((100 * x) / produced).toFixed(2)} %`;
  const figures = {
    "messages produced by the stand-in": produced,
    "wall time to produce and deliver them": `${seconds.toFixed(2)} s (${fmt(produced / seconds)} messages/s; asked ${fmt(RATE)}/s)`,
    "queued / dropped in the stand-in's queue": `${fmt(queued)} / ${fmt(nodeDropped)} (${pct(nodeDropped)}); delivered ${fmt(delivered)}`,
    "counted in peerwatch_p2p_messages_total": `${fmt(counted)} (${pct(counted)})`,
    "node drops reported by peerwatch (events.dropped, trace queue full)":
      fmt(reportedByNode) + (reportedByNode === nodeDropped ? " (= the stand-in's)" : " (≠ the stand-in's)"),
    "counted + node drops − produced": counted + nodeDropped - produced,
    "dropped in peerwatch's bus and tools": `${fmt(busDropped)}${after.lines ? `: ${after.lines}` : ""}`,
    "peerwatch CPU per message produced":
      `${((cpu * 1e6) / produced).toFixed(2)} µs ` + `(${((cpu * 1e6) / Math.max(1, counted)).toFixed(2)} µs per message counted)`,
    "stand-in CPU per message produced": `${((nodeCpu * 1e6) / produced).toFixed(2)} µs`,
    "load average at the end": os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" "),
  };
  record(
    `IPC tracing flood paced like a node: ${fmt(MESSAGES)} messages at ${fmt(RATE)}/s from the C++ stand-in (mix ${MIX}), ` +
      `queue ${fmt(QUEUE)}, batches of ${BATCH_EVENTS}, peerwatch observe with every tool`,
    figures,
  );
  results.push({
    title: "ipc-flood",
    mix: MIX,
    produced,
    queued,
    nodeDropped,
    delivered,
    counted,
    reportedByNode,
    busDropped,
    seconds,
    cpuSeconds: cpu,
    nodeCpuSeconds: nodeCpu,
  });
}
