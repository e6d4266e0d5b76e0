// JetStream set-up for durable mode: the stream every publisher writes into (created if missing,
// with the operator's limits) and the durable consumer a tools process reads through.
import { AckPolicy, DeliverPolicy, jetstreamManager, StorageType, type JetStreamManager } from "@nats-io/jetstream";
import { nanos, type NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "../../logger.js";
import { ALL_SUBJECTS } from "./subjects.js";

export interface StreamSettings {
  name: string;
  maxAgeSeconds: number;
  maxBytes: number;
}

/** How long the server waits for an ack before redelivering; acks go out at most every 100 ms. */
export const ACK_WAIT_MS = 5000;
/** Messages delivered but not yet acked, per durable consumer. */
export const MAX_ACK_PENDING = 20_000;
/** Window in which the stream drops a re-sent event (same message id) after a lost ack. */
const DUPLICATE_WINDOW_MS = 2 * 60_000;

/** Creates the stream unless it exists; an existing stream keeps its limits (said in the log if they differ). */
export async function ensureStream(nc: NatsConnection, s: StreamSettings, log: Logger): Promise<JetStreamManager> {
  const jsm = await jetstreamManager(nc);
  try {
    const info = await jsm.streams.info(s.name);
    const ageS = Math.round(info.config.max_age / 1e9);
    if (ageS !== Math.round(s.maxAgeSeconds) || info.config.max_bytes !== s.maxBytes) {
      log.info(`NATS stream ${s.name} exists with max age ${ageS} s and max bytes ${info.config.max_bytes}; keeping those limits`);
    }
    return jsm;
  } catch (e) {
    if (!/not found/i.test((e as Error).message)) throw e;
  }
  try {
    await jsm.streams.add({
      name: s.name,
      subjects: [ALL_SUBJECTS],
      storage: StorageType.File,
      max_age: nanos(Math.round(s.maxAgeSeconds * 1000)),
      max_bytes: s.maxBytes,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    });
    log.info(`NATS stream ${s.name} created (max age ${s.maxAgeSeconds} s, max bytes ${s.maxBytes})`);
  } catch (e) {
    // Another publisher may have created it a moment ago.
    if (!/already in use|exists/i.test((e as Error).message)) throw e;
  }
  return jsm;
}

/** Creates (or reuses) the durable pull consumer; it starts at the stream's first event. */
export async function ensureDurableConsumer(jsm: JetStreamManager, stream: string, durable: string, filterSubject: string, log: Logger): Promise<void> {
  try {
    const info = await jsm.consumers.info(stream, durable);
    const had = info.config.filter_subject ?? "";
    if (had !== filterSubject) {
      log.warn(`NATS: durable consumer ${durable} exists with filter "${had}", not "${filterSubject}"; it is kept (delete it with 'nats consumer rm ${stream} ${durable}' to change --nodes)`);
    }
    return;
  } catch (e) {
    if (!/not found/i.test((e as Error).message)) throw e;
  }
  await jsm.consumers.add(stream, {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: filterSubject,
    ack_wait: nanos(ACK_WAIT_MS),
    max_ack_pending: MAX_ACK_PENDING,
  });
}
