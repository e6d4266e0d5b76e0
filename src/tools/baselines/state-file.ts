// The learnt normal on disk (--baseline-state), so a restart does not forget it: one JSON object,
// written whole to a temporary file and renamed over the old one (a crash never leaves half a
// file). Read back bounded and validated: a damaged file, or one a newer peerwatch wrote, is
// reported and the baseline starts afresh, it never stops peerwatch.
//
// Format (`v`): 1 held one estimate per rate; 2 adds each rate's time-of-day profile (`hours`, 24
// estimates or null, index = UTC hour). A v1 file still loads: its rates come back without a
// profile, which then learns from the next bucket on.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { readBoundedFile } from "../../config/bounded-file.js";
import { HOURS, type RateNormalState } from "./profile.js";

/**
 * Largest state file read: at most MAX_RATES rates of 25 estimates (the overall one and 24 hours)
 * of three numbers each, about 70 bytes an estimate in JSON: under 1 MB; 4 MB leaves room.
 */
const MAX_STATE_BYTES = 4 * 1024 * 1024;
export const MAX_RATES = 512;
/** The format this peerwatch writes; it reads this one and every older one. */
export const STATE_VERSION = 2;

const estimatorState = z.strictObject({ n: z.number().int().min(0), mean: z.number().finite(), variance: z.number().finite().min(0) });
const rateName = z.string().max(64);
const boundedRates = <T extends z.ZodType>(v: T) => z.record(rateName, v).refine((r) => Object.keys(r).length <= MAX_RATES, `at most ${MAX_RATES} rates`);
const header = {
  bucketSeconds: z.number().positive(),
  /** When it was written, µs since the epoch (event time). */
  savedTs: z.number().int().min(0),
};
const v1 = z.strictObject({ v: z.literal(1), ...header, rates: boundedRates(estimatorState) });
const v2 = z.strictObject({
  v: z.literal(2),
  ...header,
  rates: boundedRates(estimatorState.extend({ hours: z.array(estimatorState.nullable()).length(HOURS) })),
});
export const baselineStateSchema = z.discriminatedUnion("v", [v1, v2]);

/** A state file as loaded, whatever its version: rates with their profile where the file had one. */
export interface BaselineState {
  /** The version the file was written in. */
  v: number;
  bucketSeconds: number;
  savedTs: number;
  rates: Record<string, RateNormalState>;
}

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
  const v = typeof json === "object" && json !== null && "v" in json ? json.v : undefined;
  if (typeof v === "number" && Number.isInteger(v) && v > STATE_VERSION)
    throw new BaselineStateError(`baseline state ${file} is format v${v}, written by a newer peerwatch (this one reads v1 to v${STATE_VERSION})`);
  const r = baselineStateSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new BaselineStateError(`baseline state ${file}: ${i?.path.join(".") || "(root)"}: ${i?.message}`);
  }
  return r.data;
}

export function saveBaselineState(
  file: string,
  bucketSeconds: number,
  savedTs: number,
  rates: ReadonlyMap<string, { state(): Required<RateNormalState> }>,
): void {
  const state: z.infer<typeof v2> = {
    v: STATE_VERSION,
    bucketSeconds,
    savedTs,
    rates: Object.fromEntries([...rates].map(([k, r]) => [k, r.state()])),
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** Characters of a node's name kept in its state file's name (the rest is in the hash). */
const MAX_NAME_CHARS = 64;

/**
 * The state file of one node in a directory of them (`peerwatch tools --baseline-state <dir>`). Node
 * names come from the events, so from whoever publishes to NATS: only letters, digits, `_` and `-`
 * are kept (any other character, `.` and `/` included, becomes `_`, so the name can be neither a
 * path nor hidden), at most 64 of them, and a hash of the whole name is appended so that names
 * which differ only in what was replaced or cut get files of their own.
 */
export function nodeStateFileName(node: string): string {
  const readable = node.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, MAX_NAME_CHARS) || "node";
  const hash = createHash("sha256").update(node, "utf8").digest("hex").slice(0, 16);
  return `${readable}-${hash}.json`;
}
