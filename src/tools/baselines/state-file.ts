// The learnt normal on disk (--baseline-state), so a restart does not forget it: one JSON object,
// written whole to a temporary file and renamed over the old one (a crash never leaves half a
// file). Read back bounded and validated: a damaged file is reported and the baseline starts
// afresh, it never stops peerwatch.
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { readBoundedFile } from "../../config/bounded-file.js";
import type { EstimatorState } from "./estimator.js";

/** Largest state file read: a few hundred rates of three numbers each. */
const MAX_STATE_BYTES = 1024 * 1024;
export const MAX_RATES = 512;

const estimatorState = z.strictObject({ n: z.number().int().min(0), mean: z.number().finite(), variance: z.number().finite().min(0) });
export const baselineStateSchema = z.strictObject({
  v: z.literal(1),
  bucketSeconds: z.number().positive(),
  /** When it was written, µs since the epoch (event time). */
  savedTs: z.number().int().min(0),
  rates: z.record(z.string().max(64), estimatorState).refine((r) => Object.keys(r).length <= MAX_RATES, `at most ${MAX_RATES} rates`),
});
export type BaselineState = z.infer<typeof baselineStateSchema>;

/** A state file that cannot be used: which file, and why. */
export class BaselineStateError extends Error {
  override name = "BaselineStateError";
}

/** The saved state, undefined when there is none yet; throws with the file named when it cannot be used. */
export function loadBaselineState(file: string): BaselineState | undefined {
  if (!fs.existsSync(file)) return undefined;
  const text = readBoundedFile(file, MAX_STATE_BYTES, "baseline state");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new BaselineStateError(`baseline state ${file}: ${(e as Error).message}`, { cause: e });
  }
  const r = baselineStateSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new BaselineStateError(`baseline state ${file}: ${i?.path.join(".") || "(root)"}: ${i?.message}`);
  }
  return r.data;
}

export function saveBaselineState(file: string, bucketSeconds: number, savedTs: number, rates: Map<string, EstimatorState>): void {
  const state: BaselineState = {
    v: 1,
    bucketSeconds,
    savedTs,
    rates: Object.fromEntries([...rates].map(([k, e]) => [k, { n: e.n, mean: e.mean, variance: e.variance }])),
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
  fs.renameSync(tmp, file);
}
