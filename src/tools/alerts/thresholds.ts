// Thresholds of the heuristics, with the reasoning behind each default (docs/alerts.md has the
// long form). Overridable with --alerts <file> (JSON, the same keys), validated by zod.
import { z } from "zod";
import { readBoundedFile } from "../../config/bounded-file.js";
import { MAX_JSON_DEPTH, jsonDepthExceeds } from "../../util/json-depth.js";
import { DETECTOR_THRESHOLD_FIELDS } from "./detector-thresholds.js";

/** Largest thresholds file read: a dozen numbers. */
const MAX_THRESHOLDS_BYTES = 64 * 1024;

export const thresholdsSchema = z.strictObject({
  /** Pings from one peer per window. Bitcoin Core pings every 2 min (PING_INTERVAL): ~0.5/min. */
  pingSpamCount: z.number().int().positive().default(20),
  pingSpamWindowSeconds: z.number().positive().default(60),
  /**
   * Addresses one peer sent beyond what Bitcoin Core's own token bucket lets through
   * (MAX_ADDR_RATE_PER_SECOND = 0.1/s, bucket of MAX_ADDR_PROCESSING_TOKEN_BUCKET = 1000), per window.
   */
  addrExcessEntries: z.number().int().positive().default(1000),
  addrWindowSeconds: z.number().positive().default(600),
  /**
   * Closed inbound connections per minute, or new ones (their version messages, for IPC tracing) from one netgroup.
   * Evictions of a full node are about one a minute; its inbound slots are -maxconnections (125) less 11 outbound.
   */
  inboundChurnPerMinute: z.number().int().positive().default(30),
  /** p95 of the pinger's RTT over the window, seconds. Loopback RTT is well under 1 ms when idle. */
  backlogP95Seconds: z.number().positive().default(1),
  backlogWindowSeconds: z.number().positive().default(300),
  backlogMinSamples: z.number().int().positive().default(5),
  /** Fee filter under which a tx-relaying peer is reported (info). Core v30+ defaults to 0.1 sat/vB. */
  lowFeeFilterSatVb: z.number().min(0).default(1),
  /** A fall of the v2 transport share by this much (0…1) below its recent maximum. */
  v2ShareDrop: z.number().positive().max(1).default(0.3),
  v2ShareWindowSeconds: z.number().positive().default(1800),
  v2ShareMinPeers: z.number().int().positive().default(8),
  /** The same alert (name and peer) is raised again at most this often. */
  repeatSeconds: z.number().positive().default(600),
  ...DETECTOR_THRESHOLD_FIELDS,
});
export type Thresholds = z.infer<typeof thresholdsSchema>;

export const DEFAULT_THRESHOLDS: Thresholds = thresholdsSchema.parse({});

/** A thresholds file that cannot be used: which file, and why. */
export class ThresholdsError extends Error {
  override name = "ThresholdsError";
}

export function loadThresholds(file: string | undefined): Thresholds {
  if (!file) return DEFAULT_THRESHOLDS;
  const text = readBoundedFile(file, MAX_THRESHOLDS_BYTES, "alert thresholds");
  if (jsonDepthExceeds(text)) throw new ThresholdsError(`alert thresholds ${file}: nests deeper than ${MAX_JSON_DEPTH} levels`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ThresholdsError(`alert thresholds ${file}: ${(e as Error).message}`, { cause: e });
  }
  const r = thresholdsSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new ThresholdsError(
      `alert thresholds ${file}: ${i?.path.join(".") || "(root)"}: ${i?.code === "unrecognized_keys" ? `unknown key(s) ${i.keys.join(", ")}` : i?.message}`,
    );
  }
  return r.data;
}
