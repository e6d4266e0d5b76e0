// The NDJSON event stream's entry: every event as a JSON line to --events until the signal aborts.
import { runningWriter, type OpenTarget, type RunningWriter } from "../../bus/event-sink.js";
import type { ToolContext } from "../../bus/tool.js";
import { startNdjsonWriter } from "./ndjson-writer.js";

export interface NdjsonOptions {
  /** --events: the file (appended), or "-" for stdout. */
  events: string;
  /** Opens the file; plain append if absent (the CLI passes the recording's opener: gzip, rotation). */
  open?: OpenTarget;
}

/** What was lost so far, by reason, and a flush (durable readers ack after it). */
export type RunningNdjson = RunningWriter;

/** Starts the writer; rejects (EventSinkError) when the file cannot be opened for writing. */
export async function run(options: NdjsonOptions, { bus, signal, log }: ToolContext): Promise<RunningNdjson> {
  return runningWriter(startNdjsonWriter(bus, options.events, log, options.open), signal);
}
