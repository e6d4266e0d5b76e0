// EXPERIMENTAL: subscribes to a patched node's net-message tracing interface and turns each batch
// the node pushes into net.message events, on par with eBPF's: the event time is the node's own
// timestamp of the message (the time of the fact, not when the batch reached us; the node stamps on
// steady_clock, mapped to wall-clock time by node-clock.ts), the payload prefix
// is the same --payload-bytes as eBPF's and is decoded by the same code; the node's own `dropped`
// count becomes events.dropped. The callback object is hosted here; its method never throws back
// into capnp-es (which would turn it into an unhandled rejection): bad entries are counted and skipped.
import type * as $ from "capnp-es";
import { emitBatch, type Emit } from "../events/index.js";
import { captureBytesFor, largestCapture } from "../codecs/p2p/options.js";
import { decodePayload } from "../codecs/p2p/payload-decoder.js";
import type { Handler$Client } from "./generated/experimental/handler.js";
import { NetMessageTrace$Server, type NetMessage, type Tracing$Client } from "./generated/experimental/tracing_net.js";
import type { Thread$Client } from "./generated/mp/proxy.js";
import { TraceDecodeError, readNetMessages } from "./net-message-reader.js";
import { mapNodeStamp, readClocks, type StampClock } from "./node-clock.js";
import { IpcError, IpcSession } from "./session.js";

/** What peerwatch asks the node for (NetMessageTraceOptions). */
export interface NetTracingOptions {
  /**
   * --payload-bytes (0: none). The node copies one size of every message (its options have no
   * per-type size), so it is asked for the largest per-type capture (a version message whole);
   * each message keeps its own type's capture here.
   */
  payloadBytes: number;
  maxQueueEvents: number;
  maxBatchEvents: number;
  maxBatchWaitUs: number;
}

export interface NetTracingStats {
  batches: number;
  messages: number;
  droppedByNode: number;
  invalid: number;
  /** Messages whose node timestamp was implausible, stamped with the receive time instead. */
  untimed: number;
  /** The clock the node's last usable stamp was on (its interface says steady_clock). */
  clock: StampClock | undefined;
}

/** Largest batch accepted from the node; its own default is 1024. */
const MAX_BATCH = 100_000;

/** The node refused the subscription; `retry` when a later attempt may succeed. */
export class TraceSubscribeError extends Error {
  override name = "TraceSubscribeError";
  constructor(
    readonly retry: boolean,
    message: string,
  ) {
    super(message);
  }
}

/** Plain words for why traceNetMessages failed, and whether trying again later makes sense. */
export function explainSubscribeFailure(e: unknown): TraceSubscribeError {
  const msg = e instanceof Error ? e.message : String(e);
  if (/too many subscribers/i.test(msg)) {
    return new TraceSubscribeError(true, `the node serves no more net-message subscribers (another peerwatch or peer-observer holds them): ${msg}`);
  }
  if (e instanceof IpcError && e.kind === "remote") {
    return new TraceSubscribeError(
      false,
      `the node refused the subscription; its tracing interface may be a newer or older version of the fork than capnp/experimental/tracing_net.capnp: ${msg}`,
    );
  }
  return new TraceSubscribeError(true, msg);
}

export function netMessageFrom(m: NetMessage, payloadBytes: number) {
  const size = Number(m.msgSize);
  const peerId = Number(m.peerId);
  if (!Number.isSafeInteger(peerId) || peerId < 0) throw new TraceDecodeError(`bad peer id ${m.peerId}`);
  if (!Number.isSafeInteger(size) || size < 0) throw new TraceDecodeError(`bad message size ${m.msgSize}`);
  const msgType = m.msgType.slice(0, 32);
  const data = {
    peerId,
    addr: m.peerAddr.slice(0, 256),
    connType: m.connType.slice(0, 32),
    direction: m.inbound ? ("in" as const) : ("out" as const),
    msgType,
    size,
  };
  if (payloadBytes === 0) return data;
  const payload = m._hasPayload() ? m.payload.toUint8Array() : new Uint8Array(0);
  // Never more than this type's capture, nor more than the message has (a node sending more is cut, not trusted).
  const kept = Buffer.from(payload.subarray(0, Math.min(payload.length, captureBytesFor(msgType, payloadBytes), size)));
  const decoded = decodePayload(msgType, kept);
  return { ...data, payloadHex: kept.toString("hex"), truncated: kept.length < size, ...(decoded ? { decoded } : {}) };
}

export class NetTracing {
  readonly stats: NetTracingStats = { batches: 0, messages: 0, droppedByNode: 0, invalid: 0, untimed: 0, clock: undefined };
  private handler: Handler$Client | undefined;

  constructor(
    private readonly session: IpcSession,
    private readonly tracing: Tracing$Client,
    private readonly thread: Thread$Client,
    private readonly emit: Emit,
    private readonly options: NetTracingOptions,
    /** Told once when the node's timestamps are not usable as event time. */
    private readonly onClockNotice: (detail: string) => void = () => {},
  ) {}

  /** Subscribes; rejects with a TraceSubscribeError that says why the node refused. */
  async subscribe(): Promise<void> {
    const callback = new NetMessageTrace$Server({
      destroy: async () => {},
      messages: async (params) => {
        try {
          this.onBatch(params.messages, params.dropped);
        } catch (e) {
          this.stats.invalid++;
          this.emit("events.dropped", { source: "ipc", count: 1, reason: `unreadable trace batch: ${(e as Error).message}`.slice(0, 256) });
        }
      },
    });
    const o = this.options;
    const answer = this.tracing.traceNetMessages((p) => {
      IpcSession.withThread(this.thread)(p);
      const opts = p._initOptions();
      opts.inbound = true;
      opts.outbound = true;
      opts.maxPayloadBytes = largestCapture(o.payloadBytes);
      opts.maxQueueEvents = o.maxQueueEvents;
      opts.maxBatchEvents = o.maxBatchEvents;
      opts.maxBatchWaitUs = o.maxBatchWaitUs;
      p.callback = callback.client();
    });
    try {
      await this.session.track("Tracing.traceNetMessages", answer.promise());
    } catch (e) {
      throw explainSubscribeFailure(e);
    }
    this.handler = answer.getResult();
  }

  /** What was asked of the node, for the status line. */
  describe(): string {
    const o = this.options;
    return (
      `net-message tracing: ${o.payloadBytes} payload bytes (version messages ${captureBytesFor("version", o.payloadBytes)}), queue ` +
      `${o.maxQueueEvents}, batches of up to ${o.maxBatchEvents} within ${o.maxBatchWaitUs} µs`
    );
  }

  /** The node's batch is one batch on the bus: one queue entry and one delivery per tool, not 1024. */
  private onBatch(messages: $.List<NetMessage>, dropped: bigint): void {
    emitBatch(this.emit, () => this.readBatch(messages, dropped));
  }

  private readBatch(messages: $.List<NetMessage>, dropped: bigint): void {
    this.stats.batches++;
    const clocks = readClocks();
    const received = clocks.wallUs;
    const payloadBytes = this.options.payloadBytes;
    let bad = 0;
    // Straight from the segments (net-message-reader.ts), capnp-es where that cannot.
    const n = readNetMessages(
      messages,
      MAX_BATCH,
      payloadBytes,
      (m) => netMessageFrom(m, payloadBytes),
      (data, timestampUs) => {
        const t = mapNodeStamp(timestampUs, clocks);
        if (t === undefined) {
          if (this.stats.untimed++ === 0)
            this.onClockNotice(
              `the node's message timestamp ${timestampUs} µs is neither this host's monotonic clock (steady_clock, as the tracing interface stamps) nor ` +
                `wall-clock time; net.message events carry the time peerwatch received them`,
            );
          this.emit("net.message", data);
        } else {
          this.stats.clock = t.clock;
          data.receivedTs = received;
          this.emit("net.message", data, t.ts);
        }
        this.stats.messages++;
      },
      () => bad++,
    );
    bad += messages.length - n;
    if (bad > 0) {
      this.stats.invalid += bad;
      this.emit("events.dropped", { source: "ipc", count: bad, reason: "invalid entries in a net-message trace batch" });
    }
    const lost = Number(dropped);
    if (lost > 0) {
      this.stats.droppedByNode += lost;
      this.emit("events.dropped", { source: "ipc", count: lost, reason: "node's trace queue was full (maxQueueEvents)" });
    }
  }

  /** Ends the subscription on the node (Handler.destroy), then releases the Tracing object (Tracing.destroy). */
  async close(): Promise<void> {
    if (this.session.isClosed) return;
    const ctx = IpcSession.withThread(this.thread);
    const h = this.handler;
    this.handler = undefined;
    if (h) await this.session.track("Handler.destroy", h.destroy(ctx).promise(), 5000).catch(() => {});
    await this.session.track("Tracing.destroy", this.tracing.destroy(ctx).promise(), 5000).catch(() => {});
  }
}
