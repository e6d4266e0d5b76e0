// Building events inside peerwatch. Sources call an Emitter bound to their source and node name,
// so no source repeats the envelope. Data is checked against the model in development and tests
// (PEERWATCH_CHECK_EVENTS=1, on by default under vitest) to catch source bugs without paying
// for it on the hot path in production.
import { decodeEvent, formatDecodeError } from "./decode.js";
import { EVENT_MODEL_VERSION, type EventDataMap, type EventType, type PeerwatchEvent, type SourceName } from "./schema.js";

const timeOriginUs = Math.round(performance.timeOrigin * 1000);

/** An event peerwatch itself built that fails the model: a bug, caught where it is made. */
export class EventBuildError extends Error {
  override name = "EventBuildError";
}

/** Current time as integer microseconds since the epoch, monotonic within this process. */
export function nowMicros(): number {
  return timeOriginUs + Math.floor(performance.now() * 1000);
}

const checkEvents = process.env.PEERWATCH_CHECK_EVENTS === "1" || process.env.VITEST !== undefined;

export function makeEvent<T extends EventType>(source: SourceName, node: string, type: T, data: EventDataMap[T], ts: number = nowMicros()): PeerwatchEvent<T> {
  const event = { v: EVENT_MODEL_VERSION, ts, node, source, type, data } as PeerwatchEvent<T>;
  if (checkEvents) {
    const r = decodeEvent(event);
    if (!r.ok) throw new EventBuildError(`peerwatch built an invalid event: ${formatDecodeError(r.error)}`);
  }
  return event;
}

/** Emits events of one source for one node. */
export interface Emit {
  <T extends EventType>(type: T, data: EventDataMap[T], ts?: number): void;
  /** Runs `fn`; what it emits is published as one batch (one bus entry per subscriber) when it returns. */
  batch?(fn: () => void): void;
}

/** What `fn` emits goes out as one batch when the emitter can batch, event by event otherwise. */
export function emitBatch(emit: Emit, fn: () => void): void {
  if (emit.batch) emit.batch(fn);
  else fn();
}

export function emitterFor(
  source: SourceName,
  node: string,
  publish: (e: PeerwatchEvent) => void,
  publishBatch?: (events: readonly PeerwatchEvent[]) => void,
): Emit {
  let gathering: PeerwatchEvent[] | undefined;
  const emit: Emit = (type, data, ts) => {
    const e = makeEvent(source, node, type, data, ts) as PeerwatchEvent;
    if (gathering !== undefined) gathering.push(e);
    else publish(e);
  };
  if (publishBatch) {
    emit.batch = (fn) => {
      if (gathering !== undefined) return fn(); // already inside a batch: one batch
      const events: PeerwatchEvent[] = (gathering = []);
      try {
        fn();
      } finally {
        gathering = undefined;
        if (events.length === 1) publish(events[0]!);
        else if (events.length > 0) publishBatch(events);
      }
    };
  }
  return emit;
}
