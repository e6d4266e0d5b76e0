#!/usr/bin/env node
// Soak test: `peerwatch observe` with every source on a regtest node with traffic, for minutes.
// Fails when a source flaps (leaves "up" although nothing was done to the node), when the process
// prints a warning (MaxListenersExceededWarning, unhandled rejection, any `(node:N) …Warning`, or a
// log line at error/fatal), when observe does not exit 0 at --duration, or when memory grows: RSS
// is sampled every second, the first third is warm-up, and the median of the last third must be
// within ±10 % of the median of the middle third.
//
// Needs a real Bitcoin Core: BITCOIN_NODE (multiprocess bitcoin-node, for IPC), BITCOIND (the
// peer that brings P2P traffic) and BITCOIN_CLI. eBPF joins when run as root with bpftrace.
// Usage: npm run soak [-- --duration <seconds>]
import { execFile, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const RSS_TOLERANCE = 0.1;

function parseArgs(argv) {
  let duration = 180;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--duration") {
      duration = Number(argv[++i]);
      if (!Number.isFinite(duration) || duration < 10) throw new Error("--duration needs a number of seconds, at least 10");
    } else if (argv[i] === "--help" || argv[i] === "-h") {
      console.log("usage: node scripts/soak.mjs [--duration <seconds>]  (default 180; needs BITCOIN_NODE, BITCOIND, BITCOIN_CLI)");
      process.exit(0);
    } else throw new Error(`unknown argument ${argv[i]}`);
  }
  return { duration };
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One regtest node in a temporary datadir. */
class Node {
  constructor(bin, cliBin, label) {
    this.bin = bin;
    this.cliBin = cliBin;
    this.label = label;
    this.datadir = fs.mkdtempSync(path.join(os.tmpdir(), `pw-soak-${label}-`));
  }
  async start(extra = []) {
    this.rpcPort = await freePort();
    this.p2pPort = await freePort();
    this.child = spawn(
      this.bin,
      [`-datadir=${this.datadir}`, "-regtest", "-server", `-rpcport=${this.rpcPort}`, `-port=${this.p2pPort}`, "-bind=127.0.0.1", "-listen=1", "-dnsseed=0", "-fixedseeds=0", "-listenonion=0", "-printtoconsole=0", "-fallbackfee=0.0001", ...extra],
      { stdio: "ignore" },
    );
    await this.cli("-rpcwait", "-rpcwaittimeout=60", "getblockchaininfo");
  }
  async cli(...args) {
    const { stdout } = await run(this.cliBin, [`-datadir=${this.datadir}`, "-regtest", `-rpcport=${this.rpcPort}`, ...args]);
    return stdout.trim();
  }
  async stop() {
    if (!this.child || this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once("exit", r));
    await this.cli("stop").catch(() => this.child.kill("SIGKILL"));
    await Promise.race([exited, sleep(30_000)]);
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
    fs.rmSync(this.datadir, { recursive: true, force: true });
  }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function rssKiB(pid) {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function bpftraceFound() {
  try {
    execFileSync("bpftrace", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Blocks every 3 s; a wallet send each block when the wallet is built, else a ping. */
async function traffic(a, b, stopAt, stats) {
  let wallet = false;
  let to;
  try {
    await a.cli("-named", "createwallet", "wallet_name=soak");
    await b.cli("-named", "createwallet", "wallet_name=soak");
    to = await b.cli("getnewaddress");
    const mine = await a.cli("getnewaddress");
    await a.cli("generatetoaddress", "101", mine);
    stats.blocks += 101;
    wallet = true;
  } catch (e) {
    stats.notes.push(`no wallet (${String(e.message).split("\n")[0]}): blocks and pings only`);
  }
  const addr = wallet ? await a.cli("getnewaddress") : "bcrt1qjqmxmkpmxt80xz4y3746zgt0q3u3ferr34acd5";
  while (Date.now() < stopAt) {
    try {
      await a.cli("generatetoaddress", "1", addr);
      stats.blocks++;
      if (wallet) {
        await a.cli("sendtoaddress", to, "0.01");
        stats.sends++;
      }
      await a.cli("ping");
      stats.pings++;
    } catch (e) {
      stats.trafficErrors++;
      if (stats.trafficErrors <= 3) stats.notes.push(`traffic: ${String(e.message).split("\n")[0]}`);
    }
    await sleep(3000);
  }
}

/** Status changes per source: down/degraded after a first "up" are flaps (nothing was done to the node). */
function statusReport(events, expected) {
  const per = Object.fromEntries(expected.map((s) => [s, { wentUp: false, flaps: 0, states: [] }]));
  for (const e of events) {
    if (e.type !== "source.status") continue;
    const r = (per[e.data.source] ??= { wentUp: false, flaps: 0, states: [] });
    const last = r.state;
    r.state = e.data.state;
    const shown = e.data.detail === "stopped" ? "stopped" : e.data.state;
    if (r.states.at(-1) !== shown) r.states.push(shown);
    if (e.data.state === "up") r.wentUp = true;
    // "stopped" is the clean stop at --duration, as the metrics tool's restart counter sees it
    else if (r.wentUp && last === "up" && e.data.detail !== "stopped") {
      r.flaps++;
      r.lastFlap = `${e.data.state}: ${e.data.detail}`;
    }
  }
  return per;
}

const WARNING = /\(node:\d+\) .*Warning|MaxListenersExceeded|unhandled ?rejection|UnhandledPromiseRejection|uncaught exception/i;

function warningsIn(stderr) {
  const found = [];
  for (const line of stderr.split("\n")) {
    if (!line.trim()) continue;
    let level;
    try {
      level = JSON.parse(line).level;
    } catch {
      /* not a JSON log line */
    }
    // pino levels: 50 error, 60 fatal
    if (WARNING.test(line) || (typeof level === "number" && level >= 50) || level === "error" || level === "fatal") found.push(line.slice(0, 300));
  }
  return found;
}

async function main() {
  const { duration } = parseArgs(process.argv.slice(2));
  const { BITCOIN_NODE, BITCOIND, BITCOIN_CLI } = process.env;
  if (!BITCOIN_NODE || !BITCOIND || !BITCOIN_CLI) {
    console.error("soak: set BITCOIN_NODE (multiprocess bitcoin-node), BITCOIND and BITCOIN_CLI to Bitcoin Core binaries; the soak runs on a real node only (no stand-in mode yet)");
    return 2;
  }
  const ebpf = process.getuid?.() === 0 && bpftraceFound();
  const sources = ["ipc", ...(ebpf ? ["ebpf"] : []), "rpc", "p2p", "proc", "log"];
  const a = new Node(BITCOIN_NODE, BITCOIN_CLI, "node");
  const b = new Node(BITCOIND, BITCOIN_CLI, "peer");
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pw-soak-"));
  const stats = { blocks: 0, sends: 0, pings: 0, trafficErrors: 0, notes: [] };
  let observe;
  try {
    await a.start(["-ipcbind=unix", "-debug=net"]);
    await b.start([]);
    await b.cli("addnode", `127.0.0.1:${a.p2pPort}`, "add");

    const eventsFile = path.join(work, "events.ndjson");
    const args = [
      path.join(root, "bin/peerwatch.js"), "observe", "--chain", "regtest", "--datadir", a.datadir, "--sources", sources.join(","),
      "--rpc-url", `http://127.0.0.1:${a.rpcPort}`, "--p2p", `127.0.0.1:${a.p2pPort}`, "--pid", String(a.child.pid),
      "--log-state", path.join(work, "log-state.json"), "--events", eventsFile, "--metrics", "off",
      "--log-format", "json", "--duration", String(duration),
      ...(ebpf ? ["--bitcoin-node-bin", BITCOIN_NODE] : []),
    ];
    console.log(`soak: ${duration} s, sources ${sources.join(",")}${ebpf ? "" : " (eBPF needs root and bpftrace)"}`);
    observe = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let stdout = "";
    observe.stderr.on("data", (d) => (stderr += d));
    observe.stdout.on("data", (d) => (stdout += d));
    const exited = new Promise((r) => observe.once("exit", (code, signal) => r({ code, signal })));

    const started = Date.now();
    const rss = [];
    const sampler = setInterval(() => {
      const kib = rssKiB(observe.pid);
      if (kib !== undefined) rss.push({ t: (Date.now() - started) / 1000, kib });
    }, 1000);
    const load = traffic(a, b, started + duration * 1000 - 2000, stats);
    const killTimer = setTimeout(() => observe.kill("SIGKILL"), (duration + 60) * 1000);
    const exit = await exited;
    clearTimeout(killTimer);
    clearInterval(sampler);
    await load;

    const events = fs.existsSync(eventsFile)
      ? fs.readFileSync(eventsFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l))
      : [];
    const byType = {};
    for (const e of events) byType[e.type] = (byType[e.type] ?? 0) + 1;
    const status = statusReport(events, sources);
    const warnings = warningsIn(stderr + "\n" + stdout);

    const third = Math.floor(rss.length / 3);
    const mid = median(rss.slice(third, 2 * third).map((s) => s.kib));
    const last = median(rss.slice(2 * third).map((s) => s.kib));
    const ratio = last / mid;
    const peakAt = rss.reduce((p, s) => (s.kib > p.kib ? s : p), { t: 0, kib: 0 });
    const peak = peakAt.kib;

    const failures = [];
    if (exit.code !== 0) failures.push(`observe exited with ${exit.code ?? exit.signal}, not 0`);
    for (const [s, r] of Object.entries(status)) {
      if (!r.wentUp) failures.push(`source ${s} never came up (states: ${r.states.join(" → ") || "none"})`);
      if (r.flaps > 0) failures.push(`source ${s} left "up" ${r.flaps} time(s) without cause (last: ${r.lastFlap})`);
    }
    if (warnings.length) failures.push(`${warnings.length} warning/error line(s), first: ${warnings[0]}`);
    if (third < 3) failures.push(`only ${rss.length} RSS samples: run longer`);
    else if (Math.abs(ratio - 1) > RSS_TOLERANCE) failures.push(`RSS not flat: last third median ${(last / 1024).toFixed(1)} MiB is ${((ratio - 1) * 100).toFixed(1)} % off the middle third's ${(mid / 1024).toFixed(1)} MiB (limit ±${RSS_TOLERANCE * 100} %)`);
    if (stats.blocks === 0) failures.push("no traffic: no block was mined");

    console.log("\nsoak summary");
    console.log(`  duration        ${duration} s, observe exit ${exit.code ?? exit.signal}`);
    console.log(`  traffic         ${stats.blocks} blocks, ${stats.sends} wallet sends, ${stats.pings} pings, ${stats.trafficErrors} errors`);
    for (const n of stats.notes) console.log(`  note            ${n}`);
    console.log(`  events          ${events.length} (${Object.entries(byType).sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k} ${v}`).join(", ")})`);
    for (const [s, r] of Object.entries(status)) console.log(`  source ${s.padEnd(8)} ${r.states.join(" → ") || "no status"}; flaps ${r.flaps}`);
    console.log(`  warnings        ${warnings.length}`);
    console.log(`  RSS             ${rss.length} samples; middle-third median ${(mid / 1024).toFixed(1)} MiB, last-third median ${(last / 1024).toFixed(1)} MiB (${((ratio - 1) * 100).toFixed(1)} %), peak ${(peak / 1024).toFixed(1)} MiB at ${peakAt.t.toFixed(0)} s`);
    console.log(failures.length ? `\nFAIL\n${failures.map((f) => `  - ${f}`).join("\n")}` : "\nPASS");
    return failures.length ? 1 : 0;
  } finally {
    if (observe && observe.exitCode === null) observe.kill("SIGKILL");
    await b.stop().catch(() => {});
    await a.stop().catch(() => {});
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`soak: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
