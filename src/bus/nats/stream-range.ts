// Reads a time range of a JetStream stream back, for `replay --from-stream`: an ordered (ephemeral)
// consumer that starts at the range's start time, stops at its end time or when the stream holds
// no more messages, and decodes every message as untrusted (foreign or malformed ones are counted,
// as the NATS bus does). Times are the stream's own: when JetStream stored each event.
import { DeliverPolicy, jetstream } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { formatDecodeError, type PeerwatchEvent } from "../../events/index.js";
import type { Logger } from "../../logger.js";
import { decodeNatsEvent } from "./codec.js";
import { StreamRangeError } from "./errors.js";
import { connectionOptions, describeServers, type NatsConnectSettings } from "./options.js";
import { nodeToken, subjectsFor } from "./subjects.js";

export interface StreamRange {
  stream: string;
  /** First store time read; the stream's first message when absent. */
  since?: Date;
  /** Last store time read (inclusive); up to the stream's end when absent. */
  until?: Date;
  /** Node names to read; every node when absent. */
  nodes?: string[];
}

export interface StreamRangeCounters {
  /** Messages taken from the stream in the range. */
  received: number;
  /** Of those, messages that did not decode as an event of their subject. */
  rejected: number;
}

/** Messages asked for at once; the reader does not ask again before the player has taken them. */
const BATCH = 256;
/** A fetch that brings nothing in this long means the range has no more messages. */
const IDLE_MS = 2000;
/** Rejected messages logged one by one; the rest are only counted. */
const LOGGED_REJECTS = 20;

export class StreamRangeReader {
  readonly counters: StreamRangeCounters = { received: 0, rejected: 0 };
  private nc?: NatsConnection;

  constructor(
    private readonly settings: NatsConnectSettings,
    private readonly range: StreamRange,
    private readonly log: Logger,
    private readonly clientName = "peerwatch replay",
  ) {}

  /** Connects and checks the stream exists; throws with a clear message otherwise. */
  async open(): Promise<void> {
    try {
      this.nc = await connect({ ...connectionOptions(this.settings, this.clientName), reconnect: false });
    } catch (e) {
      throw new StreamRangeError(`cannot connect to NATS at ${describeServers(this.settings.nats)}: ${(e as Error).message}`, { cause: e });
    }
    const js = jetstream(this.nc);
    try {
      await (await js.jetstreamManager()).streams.info(this.range.stream);
    } catch (e) {
      await this.close();
      throw new StreamRangeError(`NATS stream ${this.range.stream} on ${describeServers(this.settings.nats)}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** The events of the range, oldest first; ends early when `signal` fires. */
  async *events(signal?: AbortSignal): AsyncGenerator<PeerwatchEvent> {
    if (!this.nc) throw new StreamRangeError("StreamRangeReader.open() first");
    const { stream, since, until, nodes } = this.range;
    // One filter subject: servers before 2.10 take no list. Several nodes are picked out here instead.
    const subjects = subjectsFor(nodes);
    const wanted = subjects.length > 1 ? new Set(nodes?.map(nodeToken)) : undefined;
    const consumer = await jetstream(this.nc).consumers.get(stream, {
      filter_subjects: wanted ? (subjectsFor()[0] as string) : (subjects[0] as string),
      ...(since ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: since.toISOString() } : { deliver_policy: DeliverPolicy.All }),
    });
    const untilNs = until ? BigInt(until.getTime()) * 1_000_000n + 999_999n : undefined;
    this.log.info(`NATS: reading stream ${stream} from ${since?.toISOString() ?? "its start"} to ${until?.toISOString() ?? "its end"}`);
    for (;;) {
      if (signal?.aborted) return;
      const batch = await consumer.fetch({ max_messages: BATCH, expires: IDLE_MS });
      let got = 0;
      for await (const m of batch) {
        got++;
        if (untilNs !== undefined && BigInt(m.info.timestampNanos) > untilNs) {
          batch.stop();
          return;
        }
        if (wanted && !wanted.has(m.subject.split(".")[1] ?? "")) {
          if (m.info.pending === 0) return;
          continue; // another node's event
        }
        this.counters.received++;
        const r = decodeNatsEvent(m.subject, m.data);
        if (!r.ok) {
          if (this.counters.rejected++ < LOGGED_REJECTS) this.log.warn(`NATS: skipped ${formatDecodeError(r.error).slice(0, 500)}`);
          if (m.info.pending === 0) return;
          continue;
        }
        yield r.value;
        // The server says no message is left after this one (or the replay was stopped).
        if (m.info.pending === 0 || signal?.aborted) {
          batch.stop();
          return;
        }
      }
      if (got === 0) return; // a whole fetch brought nothing: the range is read
    }
  }

  async close(): Promise<void> {
    const nc = this.nc;
    this.nc = undefined;
    await nc?.close().catch(() => undefined);
  }
}
