// The soak on stand-ins, so CI can run it: every source CI can run, each fed steadily.
//   ipc   the C++ stand-in node (--tracing): a trace batch of 20 every round (0.5 s), a new tip every 4th
//   ebpf  real bpftrace on the USDT fixture, "all" tracepoints every round (only as root with bpftrace)
//   rpc   the stub bitcoind (canned replies of the real regtest capture), polled every second
//   p2p   the scripted peer, pinged every second
//   proc  /proc of the node's PID (the USDT fixture's when eBPF runs, else the stand-in node's)
//   log   a debug.log growing by lines of the real capture, stamped with the time they are written
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { captureFile } from "../helpers/capture.js";
import { ScriptedNode } from "../helpers/scripted-node.js";
import { Standin } from "../helpers/standin.js";
import { StubBitcoind } from "../helpers/stub-bitcoind.js";
import { UsdtFixture } from "../helpers/usdt-fixture.js";
import type { SoakTarget } from "./soak-run.js";

/** Time between traffic rounds. */
const ROUND_MS = 500;
/** debug.log lines written per round. */
const LOG_LINES_PER_ROUND = 5;

const hash = (n: number) => n.toString(16).padStart(64, "0");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The capture's lines after start-up ([init] lines would say the node restarted), without their time stamps. */
function logBodies(): string[] {
  return fs
    .readFileSync(captureFile("debug.log"), "utf8")
    .split("\n")
    .map((l) => /^\d{4}-\d\d-\d\dT[\d:.]+Z (.*)$/.exec(l)?.[1])
    .filter((b): b is string => b !== undefined && !b.startsWith("[init]") && !b.startsWith("[initload]") && !b.startsWith("[shutoff]"));
}

export interface StandinSoakTarget extends SoakTarget {
  /** The stand-in IPC node (the flap drill restarts it). */
  readonly node: Standin;
}

export async function startStandins(bins: { standin: string; usdtFixture?: string }): Promise<StandinSoakTarget> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pw-soak-standin-"));
  const logFile = path.join(work, "debug.log");
  fs.writeFileSync(logFile, "");
  const node = new Standin(bins.standin, ["--tracing"], path.join(work, "node.sock"));
  const rpc = new StubBitcoind();
  const peer = new ScriptedNode();
  const usdt = bins.usdtFixture ? new UsdtFixture(bins.usdtFixture) : undefined;
  const stats = { rounds: 0, traces: 0, tips: 0, usdt: 0, logLines: 0, errors: 0, notes: [] as string[] };
  const stop = async () => {
    await usdt?.quit();
    await peer.close();
    await rpc.stop();
    await node.stop();
    fs.rmSync(work, { recursive: true, force: true });
  };
  try {
    await node.start();
    await rpc.start();
    await peer.listen();
    const usdtPid = usdt ? await usdt.start() : undefined;
    const bodies = logBodies();
    const sources = ["ipc", ...(usdt ? ["ebpf"] : []), "rpc", "p2p", "proc", "log"];
    const args = [
      "--chain",
      "regtest",
      "--datadir",
      work,
      "--node-name",
      "soak-standin",
      "--ipc-socket",
      node.socket,
      "--rpc-url",
      rpc.url,
      "--rpc-cookie",
      rpc.cookie,
      "--rpc-interval",
      "1",
      "--p2p",
      `127.0.0.1:${peer.port}`,
      "--ping-interval",
      "1",
      "--pid",
      String(usdtPid ?? node.pid),
      "--proc-interval",
      "1",
      "--log-file",
      logFile,
      "--log-state",
      path.join(work, "log-state.json"),
      "--log-from",
      "start",
      ...(usdt ? ["--bitcoin-node-bin", bins.usdtFixture!] : []),
    ];
    let height = 200;
    let line = 0;
    const traffic = async (stopAt: number) => {
      while (Date.now() < stopAt) {
        try {
          await node.send("trace 20 0");
          stats.traces++;
          if (stats.rounds % 4 === 0) {
            await node.send(`tip ${++height} ${hash(height)}`);
            stats.tips++;
          }
          if (usdt) {
            await usdt.send("all");
            stats.usdt++;
          }
          const stamp = new Date().toISOString().replace(/(\.\d{3})Z$/, "$1000Z");
          const chunk = Array.from({ length: LOG_LINES_PER_ROUND }, () => `${stamp} ${bodies[line++ % bodies.length]}\n`).join("");
          fs.appendFileSync(logFile, chunk);
          stats.logLines += LOG_LINES_PER_ROUND;
        } catch (e) {
          // a stand-in being restarted by a drill, or one slow to answer under load
          if (++stats.errors <= 3) stats.notes.push(`traffic: ${String((e as Error).message).split("\n")[0]}`);
        }
        stats.rounds++;
        await sleep(ROUND_MS);
      }
    };
    return {
      node,
      sources,
      args,
      notes: usdt ? [] : ["no eBPF: it needs root and bpftrace"],
      traffic,
      rounds: () => stats.rounds,
      trafficLines: () => [
        `traffic         ${stats.rounds} rounds: ${stats.traces} IPC trace batches of 20, ${stats.tips} tips, ${stats.usdt} USDT rounds, ${stats.logLines} ` +
          `log lines, ${rpc.calls.length} RPC calls, ${peer.count("ping")} P2P pings; ${stats.errors} errors`,
        ...stats.notes.map((n) => `note            ${n}`),
      ],
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
