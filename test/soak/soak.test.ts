// The soak (`npm run soak`, docs/robustness.md): `peerwatch observe` with every source for a while
// under steady traffic; it fails when a source flaps, a warning is printed, observe does not exit 0
// at --duration, or RSS grows (test/soak/soak-check.ts).
//   - on the stand-ins: always, 20 s (PEERWATCH_SOAK_DURATION changes it), so CI runs it;
//   - on a real node: when PEERWATCH_SOAK=1 and BITCOIN_NODE, BITCOIND, BITCOIN_CLI are set.
// PEERWATCH_SOAK_MODE=standin or real (what `npm run soak` sets) runs that mode only.
import { describe, expect, it } from "vitest";
import { reportSkip } from "../helpers/skip.js";
import { standinBinary } from "../helpers/standin.js";
import { ebpfTestSetup } from "../helpers/usdt-fixture.js";
import { realNodeSoakSkip, startRealNodes } from "./real-node-soak.js";
import { runSoak, type SoakTarget } from "./soak-run.js";
import { startStandins } from "./standin-soak.js";

const duration = Number(process.env.PEERWATCH_SOAK_DURATION ?? 20);
if (!Number.isFinite(duration) || duration < 10)
  throw new Error(`PEERWATCH_SOAK_DURATION must be at least 10 seconds, not ${process.env.PEERWATCH_SOAK_DURATION}`);
// the run itself, the node's start (a real one mines 101 blocks first) and the clean-up
const timeout = (duration + 240) * 1000;

async function soak(target: SoakTarget): Promise<void> {
  try {
    const r = await runSoak(target, { duration });
    console.log(r.summary);
    expect(r.verdict.failures, r.summary).toEqual([]);
  } finally {
    await target.stop();
  }
}

// `npm run soak` (scripts/soak.mjs) runs one mode: there, a mode that cannot run is an error, not a skip.
const only = process.env.PEERWATCH_SOAK_MODE;
if (only !== undefined && only !== "standin" && only !== "real" && only !== "days")
  throw new Error(`PEERWATCH_SOAK_MODE must be standin, real or days, not ${only}`);

const standin = standinBinary();
const ebpf = ebpfTestSetup();
const standinSkip = only === "real" || only === "days" ? `PEERWATCH_SOAK_MODE=${only}` : "skip" in standin ? standin.skip : undefined;
const realSkip = only === "standin" || only === "days" ? `PEERWATCH_SOAK_MODE=${only}` : realNodeSoakSkip(only === "real");
if (only === "standin" && standinSkip) throw new Error(`the stand-in soak cannot run: ${standinSkip}`);
if (only === "real" && realSkip) throw new Error(`the real-node soak cannot run: ${realSkip}`);

describe.skipIf(standinSkip !== undefined)("soak on the stand-ins", () => {
  it(
    `keeps every source up under traffic, prints no warning, exits 0 and RSS does not grow, for ${duration} s`,
    async () => {
      await soak(await startStandins({ standin: (standin as { path: string }).path, ...("path" in ebpf ? { usdtFixture: ebpf.path } : {}) }));
    },
    timeout,
  );
});

describe.skipIf(realSkip !== undefined)("soak on a real node", () => {
  it(
    `keeps every source up under traffic, prints no warning, exits 0 and RSS does not grow, for ${duration} s`,
    async () => {
      await soak(await startRealNodes());
    },
    timeout,
  );
});

if (only === undefined) {
  if (standinSkip) reportSkip("soak on the stand-ins", standinSkip);
  else if ("skip" in ebpf) reportSkip("soak on the stand-ins: the eBPF source (the others run)", ebpf.skip);
  if (realSkip) reportSkip("soak on a real node", realSkip);
} else if (only === "standin" && "skip" in ebpf) console.warn(`soak on the stand-ins without eBPF: ${ebpf.skip}`);
