// JetStream set-up: whether this client may manage streams at all (least privilege), the stream
// every publisher writes into (created if missing, with the operator's limits) and the durable
// consumer a tools process reads through.
import { AckPolicy, DeliverPolicy, jetstreamManager, StorageType, type JetStreamManager } from "@nats-io/jetstream";
import { nanos, type NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "../../logger.js";
import { natsErrorKind } from "./errors.js";
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

/**
 * A publisher under least privilege (docs/deploy.md) may publish its own subjects and nothing of
 * JetStream's API: it cannot create, change, purge or delete the stream, so it does not try. It
 * asks once whether it may manage streams; refused, it publishes into the stream the operator or
 * `peerwatch tools` made (true). Allowed, the caller creates the stream if missing (false).
 */
export async function publishOnly(nc: NatsConnection, stream: string, log: Logger): Promise<boolean> {
  try {
    await nc.request("$JS.API.INFO", undefined, { timeout: 5000 });
    return false;
  } catch (e) {
    if (natsErrorKind(e) !== "permission") return false; // let ensureStream say what is wrong
    log.info(`NATS: not allowed to manage JetStream (least privilege): publishing into stream ${stream}, which the operator or peerwatch tools creates`);
    return true;
  }
}

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
    if (natsErrorKind(e) !== "stream-not-found") throw e;
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
    if (natsErrorKind(e) !== "stream-name-in-use") throw e;
  }
  return jsm;
}

/** Creates (or reuses) the durable pull consumer; it starts at the stream's first event. */
export async function ensureDurableConsumer(jsm: JetStreamManager, stream: string, durable: string, filterSubject: string, log: Logger): Promise<void> {
  try {
    const info = await jsm.consumers.info(stream, durable);
    const had = info.config.filter_subject ?? "";
    if (had !== filterSubject) {
      log.warn(
        `NATS: durable consumer ${durable} exists with filter "${had}", not "${filterSubject}"; it is kept (delete it with 'nats consumer rm ${stream} ` +
          `${durable}' to change --nodes)`,
      );
    }
    return;
  } catch (e) {
    if (natsErrorKind(e) !== "consumer-not-found") throw e;
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
