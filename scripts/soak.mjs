#!/usr/bin/env node
// `npm run soak`: `peerwatch observe` with every source for minutes under steady traffic, on a real
// regtest node or (--standin) on the stand-ins CI uses; or (--days) the time-compressed soak of the
// shipped recordings (test/soak/days-soak.ts). The first two fail when a source flaps, the process
// prints a warning, observe does not exit 0 at --duration, or RSS grows; the third when RSS, heap,
// descriptors or label sets grow over the simulated days (docs/robustness.md).
//
// The soak itself is test/soak/ (the real node's starter and the stand-ins are test helpers, the
// stand-ins are built by the test setup): this runs its test file with vitest, in one mode.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const USAGE = `usage: npm run soak -- [--duration <seconds>] [--standin]
       npm run soak -- --days <n> [--out <dir>]
  --duration <seconds>  how long observe runs (default 180, at least 10)
  --standin             soak on the stand-ins (C++ IPC node, USDT fixture, stub RPC server, scripted
                        P2P peer, a growing debug.log) instead of a real node; eBPF only as root
                        with bpftrace
  --days <n>            time-compressed soak: the shipped recordings (data/) replayed in a loop at
                        --speed max, time moving on, until n simulated days have passed (at least 2),
                        through every tool, the live page and NATS (needs nats-server); no node
  --jetstream           with --days: NATS JetStream (a stream, a durable consumer for tools) instead of
                        core NATS; about a third of the speed
  --out <dir>           with --days: where the figures (soak-days.json) and the curve (soak-days.svg)
                        go (default: peerwatch-soak-days in the temporary folder)
Without --standin or --days it needs BITCOIN_NODE (multiprocess bitcoin-node), BITCOIND and BITCOIN_CLI.`;

function parseArgs(argv) {
  const o = { duration: 180, standin: false, jetstream: false, days: undefined, out: path.join(os.tmpdir(), "peerwatch-soak-days") };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--duration") {
      o.duration = Number(argv[++i]);
      if (!/^\d+(\.\d+)?$/.test(String(argv[i])) || o.duration < 10) return { error: "--duration needs a number of seconds, at least 10" };
    } else if (a === "--days") {
      o.days = Number(argv[++i]);
      if (!/^\d+(\.\d+)?$/.test(String(argv[i])) || o.days < 2) return { error: "--days needs a number of simulated days, at least 2" };
    } else if (a === "--out") {
      o.out = argv[++i];
      if (!o.out) return { error: "--out needs a folder" };
    } else if (a === "--jetstream") o.jetstream = true;
    else if (a === "--standin") o.standin = true;
    else if (a === "--help" || a === "-h") return { help: true };
    else return { error: `unknown argument ${a}` };
  }
  return o;
}

const o = parseArgs(process.argv.slice(2));
if (o.help) {
  console.log(USAGE);
  process.exit(0);
}
if (o.error) {
  console.error(`soak: ${o.error}\n${USAGE}`);
  process.exit(2);
}
if (o.days !== undefined && o.standin) {
  console.error(`soak: --days replays recordings; it takes no --standin\n${USAGE}`);
  process.exit(2);
}
const missing = ["BITCOIN_NODE", "BITCOIND", "BITCOIN_CLI"].filter((v) => !process.env[v]);
if (o.days === undefined && !o.standin && missing.length) {
  console.error(`soak: set ${missing.join(", ")} to Bitcoin Core binaries for the real-node soak, or pass --standin to soak on the stand-ins`);
  process.exit(2);
}

const vitest = path.join(root, "node_modules/vitest/vitest.mjs");
if (!fs.existsSync(vitest)) {
  console.error("soak: vitest is not installed: run npm ci first");
  process.exit(2);
}
const days = o.days !== undefined;
const child = spawn(process.execPath, [vitest, "run", days ? "test/soak/days-soak.test.ts" : "test/soak/soak.test.ts", "--reporter", "default"], {
  cwd: root,
  stdio: "inherit",
  env: days
    ? {
        ...process.env,
        PEERWATCH_SOAK_DAYS: String(o.days),
        PEERWATCH_SOAK_OUT: path.resolve(o.out),
        PEERWATCH_SOAK_MODE: "days",
        PEERWATCH_SOAK_JETSTREAM: o.jetstream ? "1" : "0",
      }
    : { ...process.env, PEERWATCH_SOAK_DURATION: String(o.duration), PEERWATCH_SOAK_MODE: o.standin ? "standin" : "real" },
});
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
