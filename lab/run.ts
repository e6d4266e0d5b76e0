// `npm run lab`: starts a real regtest node (BITCOIN_NODE, else BITCOIND), checks it is regtest on
// loopback, mines spendable coins, and for each scenario runs `peerwatch observe` with every source
// recording to data/attacks/<scenario>.ndjson.gz, with quiet time before and after the scenario.
// Then it writes data/attacks/manifest.json and README.md, and scores (docs/detection.md + .json).
//   npm run lab                         record every scenario, then score
//   npm run lab -- --only a,b           record these (others keep their recordings), then score
//   npm run lab -- --cost               only the ping flood once per source set: what each costs the
//                                       node (data/attacks/cost.json), then score
//   npm run lab -- --score-only         re-score the shipped recordings; no node needed
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CHAIN_PARAMS } from "../src/config/chains.js";
import { AdversaryPeer } from "./adversary/peer.js";
import { ADDRESS_P2WSH_OP_TRUE } from "./adversary/payloads.js";
import { LabNode } from "./node.js";
import { renderDetection } from "./render.js";
import { LabError, assertLoopback, assertRegtest } from "./safety.js";
import type { Scenario, ScenarioContext } from "./scenario.js";
import { SCENARIOS } from "./scenarios/index.js";
import { buildScorecard, loadManifest, repoRoot, type Manifest, type RecordingEntry } from "./score.js";

const ROOT = repoRoot();
/** Where recordings go (LAB_OUT: elsewhere, e.g. to compare two node builds before replacing the shipped ones). */
const OUT = process.env.LAB_OUT ? path.resolve(process.env.LAB_OUT) : path.join(ROOT, "data/attacks");
const env = (k: string, d: string) => process.env[k] ?? d;
const DATADIR = env("LAB_DATADIR", "/tmp/i19-node");
const PORT = Number(env("LAB_PORT", "19200"));
const RPC_PORT = Number(env("LAB_RPC_PORT", "19201"));
/** Extra nodes (benign runs) take ports from here, two each. */
const EXTRA_PORT_BASE = Number(env("LAB_EXTRA_PORT_BASE", "19210"));
const HOST = "127.0.0.1";
const PRE_QUIET_S = Number(env("LAB_PRE_QUIET", "12"));
const POST_QUIET_S = Number(env("LAB_POST_QUIET", "10"));
/** The node's flags beyond the base set: what the log source needs, and what keeps scenarios short. */
const LAB_FLAGS = [
  "-debug=net",
  "-debug=mempool",
  "-debug=mempoolrej",
  "-debug=validation",
  "-logtimemicros",
  "-logthreadnames",
  ...new Set(SCENARIOS.flatMap((s) => s.nodeFlags ?? [])),
];

const say = (m: string) => process.stderr.write(`lab: ${m}\n`);

function observeArgs(file: string, sources = "auto"): string[] {
  return [
    "observe",
    "--sources",
    sources,
    "--chain",
    "regtest",
    "--datadir",
    DATADIR,
    "--node-name",
    "lab",
    "--rpc-url",
    `http://${HOST}:${RPC_PORT}`,
    "--p2p",
    `${HOST}:${PORT}`,
    "--ping-interval",
    "5",
    "--rpc-interval",
    "2",
    "--rpc-slow-interval",
    "10",
    "--proc-interval",
    "2",
    "--log-state",
    "off",
    "--log-from",
    "end",
    "--metrics",
    "off",
    "--no-demo",
    "--log-level",
    "info",
    "--log-format",
    "json",
    "--events",
    file,
  ];
}

class Observer {
  private child: ChildProcess | undefined;
  readonly up = new Set<string>();
  private stderrTail = "";
  constructor(
    private readonly file: string,
    private readonly sources = "auto",
  ) {}

  start(): void {
    this.child = spawn(process.execPath, [path.join(ROOT, "bin/peerwatch.js"), ...observeArgs(this.file, this.sources)], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.child.stderr?.on("data", (b: Buffer) => {
      const text = b.toString();
      this.stderrTail = (this.stderrTail + text).slice(-4000);
      for (const m of text.matchAll(/"source":"(\w+)","state":"up"/g)) this.up.add(m[1] as string);
    });
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null;
  }

  /** SIGINT (a clean stop that closes the gzip), bounded; SIGKILL after 30 s. */
  async stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise<void>((r) => c.once("exit", () => r()));
    c.kill("SIGINT");
    const t = setTimeout(() => c.kill("SIGKILL"), 30_000);
    await exited;
    clearTimeout(t);
    if (c.exitCode !== 0) say(`observe exited with ${c.exitCode ?? c.signalCode}: ${this.stderrTail.slice(-500)}`);
  }
}

interface Coin {
  txid: string;
  vout: number;
  value: bigint;
}

async function mineCoins(node: LabNode): Promise<Coin[]> {
  // 250 blocks to an anyone-can-spend P2WSH(OP_TRUE): heights 1–149 pay 50 BTC (regtest halves at
  // 150) and are mature (100 confirmations), and the tip is recent so the node leaves IBD.
  await node.call("generatetoaddress", [250, ADDRESS_P2WSH_OP_TRUE]);
  const coins: Coin[] = [];
  for (let h = 1; h < 150; h++) {
    const hash = (await node.call("getblockhash", [h])) as string;
    const block = (await node.call("getblock", [hash, 1])) as { tx: string[] };
    coins.push({ txid: block.tx[0] as string, vout: 0, value: 5_000_000_000n });
  }
  return coins;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const scoreOnly = args.includes("--score-only");
  const costRuns = args.includes("--cost");
  const onlyArg = args[args.indexOf("--only") + 1];
  const only = args.includes("--only") && onlyArg ? new Set(onlyArg.split(",")) : undefined;
  if (!scoreOnly) {
    const code = await record(only, costRuns);
    if (code !== 0) return code;
  }
  return score();
}

async function score(): Promise<number> {
  if (!fs.existsSync(path.join(OUT, "manifest.json"))) {
    say(`no ${path.relative(ROOT, OUT)}/manifest.json: record first (npm run lab with BITCOIN_NODE set)`);
    return 2;
  }
  const card = await buildScorecard(OUT, ROOT);
  fs.writeFileSync(path.join(ROOT, "docs/detection.json"), JSON.stringify(card, null, 1) + "\n");
  fs.writeFileSync(path.join(ROOT, "docs/detection.md"), renderDetection(card));
  const attacks = card.scenarios.filter((s) => s.kind === "attack");
  say(
    `scored ${card.scenarios.length} recordings: ${attacks.filter((s) => s.cells.all?.detected).length}/${attacks.length} attacks detected (all sources), ` +
      `${card.benign.warnings.all} benign warnings; wrote docs/detection.md and docs/detection.json`,
  );
  return 0;
}

async function record(only: Set<string> | undefined, costRuns: boolean): Promise<number> {
  const bin = process.env.BITCOIN_NODE ?? process.env.BITCOIND;
  if (!bin || !fs.existsSync(bin)) {
    say("set BITCOIN_NODE (multiprocess bitcoin-node, for IPC) or BITCOIND to record; --score-only re-scores the shipped recordings");
    return 2;
  }
  const extraBin = process.env.BITCOIND ?? bin;
  assertLoopback(HOST);
  if (!fs.existsSync(path.join(ROOT, "dist/cli/main.js"))) {
    say("peerwatch is not built: npm run build");
    return 2;
  }
  fs.rmSync(DATADIR, { recursive: true, force: true });
  const node = new LabNode({ bin, datadir: DATADIR, port: PORT, rpcPort: RPC_PORT, extraArgs: LAB_FLAGS });
  const extras: LabNode[] = [];
  const stopAll = async () => {
    for (const x of extras.splice(0)) await x.stop().catch(() => undefined);
    await node.stop().catch(() => undefined);
  };
  process.once("SIGINT", () => void stopAll().then(() => process.exit(130)));
  try {
    await node.start();
    await assertRegtest(node); // before the first byte any adversary sends
    const net = (await node.call("getnetworkinfo")) as { version: number; subversion: string };
    say(`node ${net.subversion} up on ${HOST}:${PORT} (regtest); mining coins`);
    const coins = await mineCoins(node);
    const target = { host: HOST, port: PORT, magic: CHAIN_PARAMS.regtest.magic };
    fs.mkdirSync(OUT, { recursive: true });
    const manifestFile = path.join(OUT, "manifest.json");
    const old: Manifest | undefined = only && fs.existsSync(manifestFile) ? loadManifest(OUT) : undefined;
    const entries = new Map<string, RecordingEntry>((old?.recordings ?? []).map((r) => [r.name, r]));
    let ipcTracing = old?.node.ipcTracing ?? false;
    // --cost alone measures the cost and records nothing else; with --only, those scenarios too.
    const todo = costRuns && !only ? [] : SCENARIOS.filter((s) => !only || only.has(s.name));
    // The manifest is written after every run, so a lab stopped half-way leaves usable recordings.
    const writeManifest = () => {
      const manifest: Manifest = {
        made: new Date().toISOString(),
        node: {
          version: String(net.version),
          subversion: net.subversion,
          binary: path.basename(bin),
          flags: node.args.filter((a) => !a.startsWith("-datadir")),
          ipcTracing,
        },
        observe: observeArgs("data/attacks/<scenario>.ndjson.gz").map((a) => a.replace(DATADIR, "<datadir>")),
        recordings: SCENARIOS.filter((s) => entries.has(s.name)).map((s) => entries.get(s.name) as RecordingEntry),
      };
      fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 1) + "\n");
      fs.writeFileSync(path.join(OUT, "README.md"), readme(manifest));
    };
    for (const [idx, s] of todo.entries()) {
      const octet = 77 + 3 * SCENARIOS.indexOf(s);
      const entry = { ...(await runScenario(s, idx, octet, { node, target, coins, extras, extraBin })), node: `${net.subversion} ${path.basename(bin)}` };
      if (entry.sourcesUp?.includes("ipc") && (await tracingSeen(path.join(OUT, entry.file)))) ipcTracing = true;
      entries.set(s.name, entry);
      writeManifest();
    }
    if (costRuns) await measureCost({ node, target, coins, extras, extraBin });
    return 0;
  } finally {
    await stopAll();
  }
}

/**
 * What each source costs the node: the ping flood once per source set (each alone beside /proc,
 * which costs the node nothing), the node's CPU over the flood from compare's cost section. The
 * recordings are large (every message, per set) and only their cost numbers are kept, in
 * data/attacks/cost.json.
 */
const COST_SETS = ["proc", "ipc,proc", "ebpf,proc", "rpc,proc", "log,proc", "p2p,proc", "auto"];

async function measureCost(lab: Lab): Promise<void> {
  const { readAll } = await import("./score.js");
  const { CostTally } = await import("../src/tools/compare/cost-tally.js");
  const flood = SCENARIOS.find((s) => s.name === "ping-flood") as Scenario;
  const tmp = fs.mkdtempSync(path.join(DATADIR + "-cost-"));
  const rows: unknown[] = [];
  for (const [i, set] of COST_SETS.entries()) {
    const e = await runScenario(flood, i, 60, lab, set, tmp);
    const events = await readAll(path.join(tmp, e.file));
    const t = new CostTally();
    for (const ev of events) if (ev.type === "threads.snapshot" && ev.ts >= e.attackStartUs - 2_000_000 && ev.ts <= e.attackEndUs + 2_000_000) t.add(ev);
    const node = t.report().node;
    const msgs = events.filter((ev) => ev.type === "net.message").length;
    rows.push({
      sources: set,
      sourcesUp: e.sourcesUp,
      pings: e.outcome.messages,
      floodSeconds: Math.round((e.attackEndUs - e.attackStartUs) / 1e4) / 100,
      nodeCpuPerSecond: node.cpuPerSecond,
      nodeCpuSeconds: node.cpuPerSecond === null ? null : Math.round(node.cpuPerSecond * node.seconds * 1000) / 1000,
      threads: node.threads,
      netMessageEvents: msgs,
    });
    say(`  cost ${set}: node ${node.cpuPerSecond} CPU s/s over ${node.seconds} s`);
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.writeFileSync(path.join(OUT, "cost.json"), JSON.stringify({ made: new Date().toISOString(), scenario: "ping-flood", rows }, null, 1) + "\n");
}

/** Whether the recording holds net.message events from IPC (the node served its tracing interface). */
async function tracingSeen(file: string): Promise<boolean> {
  const { readAll } = await import("./score.js");
  return (await readAll(file)).some((e) => e.type === "net.message" && e.source === "ipc");
}

interface Lab {
  node: LabNode;
  target: { host: string; port: number; magic: Uint8Array };
  coins: Coin[];
  extras: LabNode[];
  extraBin: string;
}

async function runScenario(s: Scenario, idx: number, octet: number, lab: Lab, sources = "auto", dir = OUT): Promise<RecordingEntry> {
  const file = `${s.name}${sources === "auto" ? "" : `.${sources.replace(/,/g, "+")}`}.ndjson.gz`;
  const full = path.join(dir, file);
  fs.rmSync(full, { force: true }); // --events appends: a new recording starts empty
  // A fresh block before each run: the tip stays recent (no IBD) and the last run's transactions confirm.
  await lab.node.call("generatetoaddress", [1, ADDRESS_P2WSH_OP_TRUE]);
  const obs = new Observer(full, sources);
  const recordStartUs = Date.now() * 1000;
  obs.start();
  say(`[${idx + 1}] ${s.name}: observe started; ${PRE_QUIET_S} s quiet`);
  await sleep(PRE_QUIET_S * 1000);
  if (!obs.alive) throw new LabError(`observe exited before ${s.name} began`);
  const peers: AdversaryPeer[] = [];
  const controller = new AbortController();
  const deadline = setTimeout(() => controller.abort(), s.maxSeconds * 1000);
  let firstConnectUs: number | undefined;
  const prefixes = new Set<string>();
  const ctx: ScenarioContext = {
    target: lab.target,
    node: lab.node,
    signal: controller.signal,
    address: (i, range = 0) => `127.0.${octet + range}.${(Math.max(0, i - 1) % 254) + 1}`,
    extraNode: (i, extraArgs = []) => {
      const n = new LabNode({
        bin: lab.extraBin,
        datadir: `${DATADIR}-extra-${i}`,
        port: EXTRA_PORT_BASE + 2 * i,
        rpcPort: EXTRA_PORT_BASE + 2 * i + 1,
        extraArgs,
      });
      fs.rmSync(n.spec.datadir, { recursive: true, force: true });
      lab.extras.push(n);
      return n;
    },
    restartNode: async () => {
      await lab.node.stop();
      await lab.node.start();
      await assertRegtest(lab.node);
    },
    takeCoin: () => {
      const c = lab.coins.shift();
      if (!c) throw new LabError("the lab ran out of mature coins");
      return c;
    },
    log: (m) => say(`  ${s.name}: ${m}`),
    connect: async (local) => {
      const p = await AdversaryPeer.connect(local, lab.target, controller.signal);
      firstConnectUs ??= Date.now() * 1000;
      prefixes.add(local.replace(/\d+$/, ""));
      peers.push(p);
      return p;
    },
    sleep: (ms) => sleep(ms, undefined, { signal: controller.signal }).catch(() => undefined),
  };
  const startedUs = Date.now() * 1000;
  let outcome: RecordingEntry["outcome"];
  try {
    outcome = await s.run(ctx);
  } catch (e) {
    outcome = { messages: peers.reduce((a, p) => a + p.sent, 0), connections: peers.length, notes: `stopped by an error: ${(e as Error).message}` };
    say(`  ${s.name}: ${(e as Error).message}`);
  } finally {
    clearTimeout(deadline);
    controller.abort();
    for (const p of peers) p.close();
    for (const x of lab.extras.splice(0)) await x.stop().catch(() => undefined);
  }
  const endedUs = Date.now() * 1000;
  say(`  ${s.name}: ${outcome.messages} messages, ${outcome.connections} connections${outcome.notes ? `; ${outcome.notes}` : ""}; ${POST_QUIET_S} s quiet`);
  await sleep(POST_QUIET_S * 1000);
  await obs.stop();
  return {
    name: s.name,
    kind: s.kind,
    file,
    recordStartUs,
    recordEndUs: Date.now() * 1000,
    attackStartUs: s.kind === "attack" ? (firstConnectUs ?? startedUs) : startedUs,
    attackEndUs: endedUs,
    adversaryPrefixes: [...prefixes],
    outcome,
    sourcesUp: [...obs.up].sort(),
  };
}

function readme(m: Manifest): string {
  const rows = m.recordings.map((r) => {
    const size = fs.statSync(path.join(OUT, r.file)).size;
    return (
      `| \`${r.file}\` | ${r.node ?? ""} | ${r.kind} | ${Math.round((r.recordEndUs - r.recordStartUs) / 1e6)} s | ${(size / 1024).toFixed(0)} KiB | ` +
      `${(r.sourcesUp ?? []).join(", ")} | ${r.outcome.messages} msgs, ${r.outcome.connections} conns |`
    );
  });
  return [
    "# Attack lab recordings",
    "",
    "Every file here is what `peerwatch observe` recorded (`--events <file>.ndjson.gz`, every source it could start) while",
    "one lab scenario (`lab/scenarios/<name>.ts`) ran against a real regtest Bitcoin Core node on loopback. They are data,",
    "like the demo recording: CI replays them (`test/lab/`), and `npm run lab -- --score-only` turns them into",
    "docs/detection.md. `manifest.json` holds each run's times (µs since the epoch: recording window, the adversaries'",
    "first connection, the end of the scenario), the adversaries' source address ranges, and what they sent.",
    "",
    `- Made: ${m.made}, by \`npm run lab\` (lab/run.ts), as root (for eBPF).`,
    `- Node: ${m.node.subversion} (version ${m.node.version}), \`${m.node.binary}\`; IPC net-message tracing ` +
      `${m.node.ipcTracing ? "served and recorded" : "not served by this node"}.`,
    `- Node flags: \`${m.node.flags.join(" ")}\`.`,
    "  `-peertimeout=15` (Core's default is 60 s) and `-maxconnections=64` (default 200) keep the no-version and eclipse",
    "  runs short; `-debug=net -debug=mempool` let the log source see messages.",
    `- peerwatch: \`peerwatch ${m.observe.join(" ")}\`.`,
    `- Each run: a block is mined, observe starts, ${PRE_QUIET_S} s of quiet, the scenario (bounded by its maxSeconds), ${POST_QUIET_S} s of`,
    "  quiet, observe stops (SIGINT: the gzip is closed cleanly).",
    "- Adversaries connect from 127.0.x.y source addresses (one or two /24s per scenario; see manifest.json) and talk",
    '  only to 127.0.0.1. Before the first byte the runner checked `getblockchaininfo.chain == "regtest"` over RPC.',
    "",
    "| file | node | kind | length | size | sources up | sent |",
    "|---|---|---|---|---|---|---|",
    ...rows,
    "",
  ].join("\n");
}

main().then(
  (code) => process.exit(code),
  (e) => {
    say(`failed: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
