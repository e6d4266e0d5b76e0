// Writes every event as one JSON line to a file or stdout. This file only encodes: the lines are
// gathered into one string and written through the event sink (src/bus/event-sink.ts: batching,
// backpressure, loss reports as `events.dropped` with source "ndjson").
import { EventSink, type EventWriter, type OpenTarget } from "../../bus/event-sink.js";
import type { EventBus } from "../../bus/index.js";
import { encodeEvent, type PeerwatchEvent } from "../../events/index.js";
import type { Logger } from "../../logger.js";

/** Throws EventSinkError when the target cannot be opened for writing. */
export function startNdjsonWriter(bus: EventBus, target: string, log: Logger, open?: OpenTarget): EventWriter {
  let lines = "";
  let events = 0;
  const take = () => {
    if (lines === "") return undefined;
    const gathered = { chunk: lines, events };
    lines = "";
    events = 0;
    return gathered;
  };
  // The loss reports carry the node of the events written (no nodeName).
  const sink = new EventSink(bus, { target, open, source: "ndjson", what: "event output", take }, log);
  /** Adds one event's line; true when the stream asked us to wait for 'drain'. */
  const add = (e: PeerwatchEvent): boolean => {
    let line: string;
    try {
      line = encodeEvent(e) + "\n";
    } catch {
      sink.unencodable(e);
      return false;
    }
    lines += line;
    events++;
    return sink.gathered(lines.length);
  };
  // A bus batch is written through in one go (the stream buffers a full batch beyond its mark:
  // at most one trace batch more); then, if the stream asked for it, we wait for 'drain'.
  const subscription = bus.subscribeBatches({ name: "ndjson", maxQueue: 50_000 }, (batch) => {
    if (!sink.accepts(batch)) return;
    let wait = false;
    for (let i = 0; i < batch.length; i++) if (add(batch[i]!)) wait = true;
    if (wait) return sink.drained();
  });
  return sink.writer(subscription);
}
