// `npm start` on a machine without a node: after saying what it looked for, `observe` replays the
// shipped recording of a real regtest node in a loop, labelled a replay everywhere, so a newcomer
// sees the page and /metrics working. --no-demo keeps the quiet wait.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { MemoryBus } from "../bus/index.js";
import type { ObserveConfig } from "./observe-options.js";
import type { Logger } from "../logger.js";
import type { SourcePlan } from "../sources/types.js";
import { run as playRecording } from "../tools/record/run.js";

export const DEMO_RECORDING = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../data/regtest-demo.ndjson.gz");

/** The recording to demo, or undefined (with why, for the debug log) when there is no demo to run. */
export function demoFile(config: ObserveConfig, plans: SourcePlan[]): { file: string } | { why: string } {
  if (config.demo === false) return { why: "--no-demo" };
  if (config.sources !== "auto") return { why: "sources were chosen with --sources" };
  if (plans.some((p) => p.start)) return { why: "a source can start" };
  const file = config.demo ?? DEMO_RECORDING;
  if (!fs.existsSync(file)) return { why: `no demo recording at ${file}` };
  return { file };
}

/** The banner's "replaying" lines of the demo: what this is and how to get a real node instead. */
export function demoBanner(file: string): { watching: string; note: string } {
  return { watching: `${path.basename(file)} (a real regtest node) in a loop`, note: "no node found here: start one (see README) or pass --no-demo" };
}

/** Replays the demo recording in a loop until `signal`; resolves when it stops. */
export async function runDemo(bus: MemoryBus, file: string, config: ObserveConfig, log: Logger, signal: AbortSignal): Promise<void> {
  await playRecording({ files: [file], speed: 1, loop: true, nodeName: config.nodeName, label: "DEMO", progress: false }, { bus, signal, log });
}
