// A short run of `npm run soak` (scripts/soak.mjs), only when PEERWATCH_SOAK=1 and a real node is
// set up (BITCOIN_NODE, BITCOIND, BITCOIN_CLI): it takes half a minute, so CI skips it loudly.
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { reportSkip } from "../helpers/skip.js";

const run = promisify(execFile);
const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../scripts/soak.mjs");
const missing = ["BITCOIN_NODE", "BITCOIND", "BITCOIN_CLI"].filter((v) => !process.env[v]);
const skip =
  process.env.PEERWATCH_SOAK !== "1"
    ? "set PEERWATCH_SOAK=1 to run the 20 s soak"
    : missing.length
      ? `set ${missing.join(", ")} to Bitcoin Core binaries to run the soak`
      : undefined;

describe.skipIf(skip !== undefined)("soak (scripts/soak.mjs)", () => {
  it("keeps every source up, prints no warning and keeps RSS flat for 20 s", async () => {
    // execFile rejects on a non-zero exit; the summary is in the error's stdout then
    const r = await run(process.execPath, [script, "--duration", "20"], { timeout: 180_000 }).catch((e: { stdout?: string; stderr?: string; code?: number }) => e);
    const out = `${r.stdout ?? ""}${r.stderr ?? ""}`;
    expect(out, out).toMatch(/^PASS$/m);
    expect(out).toMatch(/source ipc +up/);
    expect(out).toMatch(/warnings +0/);
  }, 200_000);
});

if (skip) reportSkip("soak (scripts/soak.mjs)", skip);
