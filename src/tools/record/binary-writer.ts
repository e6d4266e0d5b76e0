// Writes the binary recording (binary-format.ts) of every event: what `--events x.pwb` (or
// `x.pwb.gz`) runs instead of the NDJSON writer. This file only encodes: each bus batch becomes one
// record (no string per event), gathered and written through the event sink
// (src/bus/event-sink.ts: batching, backpressure, loss reports as `events.dropped` with source
// "recording"); what its bounded bus queue overflows is counted by the bus as `bus:recording`.
import { EventSink, runningWriter, type EventWriter, type RunningWriter } from "../../bus/event-sink.js";
import type { EventBus } from "../../bus/index.js";
import type { ToolContext } from "../../bus/tool.js";
import type { Logger } from "../../logger.js";
import { encodeHeader, RecordEncoder } from "./binary-format.js";
import { openEventFile } from "./event-file-stream.js";

export interface BinaryRecordingOptions {
  /** The file (appended to; gzip when it ends in .gz). */
  events: string;
  /** Rotate at this many bytes (event-file-stream.ts). */
  eventsMaxBytes?: number;
  /** Said in each file's header (and on the loss reports). */
  nodeName: string;
}

/** What was lost so far, by reason, and a flush. */
export type RunningBinaryRecording = RunningWriter;

/** Starts the writer; rejects (EventSinkError) when the file cannot be opened for writing. */
export async function run(o: BinaryRecordingOptions, { bus, signal, log }: ToolContext): Promise<RunningBinaryRecording> {
  return runningWriter(startBinaryWriter(bus, o, log), signal);
}

/** Throws EventSinkError when the file cannot be opened for writing. */
export function startBinaryWriter(bus: EventBus, o: BinaryRecordingOptions, log: Logger): EventWriter {
  const encoder = new RecordEncoder();
  let records: Buffer[] = [];
  let bytes = 0;
  let events = 0;
  const take = () => {
    if (records.length === 0) return undefined;
    const gathered = { chunk: records.length === 1 ? records[0]! : Buffer.concat(records, bytes), events };
    records = [];
    bytes = 0;
    events = 0;
    return gathered;
  };
  const open = (file: string) => openEventFile(file, { maxBytes: o.eventsMaxBytes, header: encodeHeader(o.nodeName) });
  const sink = new EventSink(bus, { target: o.events, open, source: "recording", nodeName: o.nodeName, what: "event recording", take }, log);
  const subscription = bus.subscribeBatches({ name: "recording", maxQueue: 50_000 }, (batch) => {
    if (!sink.accepts(batch)) return;
    const before = records.length;
    const failed = encoder.encode(batch, records);
    for (const e of failed) sink.unencodable(e);
    for (let i = before; i < records.length; i++) bytes += records[i]!.length;
    events += batch.length - failed.length;
    if (records.length > 0 && sink.gathered(bytes)) return sink.drained();
  });
  return sink.writer(subscription);
}
