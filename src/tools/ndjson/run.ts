// The NDJSON event stream's entry: every event as a JSON line to --events until the signal aborts.
import { stopOnAbort, type RunningTool, type ToolContext } from "../../bus/tool.js";
import { startNdjsonWriter, type OpenTarget } from "./ndjson-writer.js";

export interface NdjsonOptions {
  /** --events: the file (appended), or "-" for stdout. */
  events: string;
  /** Opens the file; plain append if absent (the CLI passes the recording's opener: gzip, rotation). */
  open?: OpenTarget;
}

export interface RunningNdjson extends RunningTool {
  /** Events lost so far, by reason. */
  readonly lost: ReadonlyMap<string, number>;
  /** Resolves once every line written so far has reached the file (durable readers ack after it). */
  flushed(): Promise<void>;
}

/** Starts the writer; rejects (NdjsonError) when the file cannot be opened for writing. */
export async function run(options: NdjsonOptions, { bus, signal, log }: ToolContext): Promise<RunningNdjson> {
  const writer = startNdjsonWriter(bus, options.events, log, options.open);
  return { lost: writer.lost, flushed: () => writer.flushed(), stopped: stopOnAbort(signal, () => writer.close()) };
}
