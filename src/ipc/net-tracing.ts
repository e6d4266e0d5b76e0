// EXPERIMENTAL: subscribes to a patched node's net-message tracing interface and turns each batch
// the node pushes into net.message events; the node's own `dropped` count becomes events.dropped.
// The callback object is hosted here; its method never throws back into capnp-es (which would turn
// it into an unhandled rejection): bad entries are counted and skipped.
import type * as $ from "capnp-es";
import type { Emit } from "../events/index.js";
import type { Handler$Client } from "./generated/experimental/handler.js";
import {
  NetMessageTrace$Server,
  type NetMessage,
  type Tracing$Client,
} from "./generated/experimental/tracing_net.js";
import type { Thread$Client } from "./generated/mp/proxy.js";
import { readNetMessages } from "./net-message-reader.js";
import { IpcSession } from "./session.js";

export interface NetTracingOptions {
  /** Payload bytes the node should copy per message (0: none). */
  maxPayloadBytes: number;
}

export interface NetTracingStats {
  batches: number;
  messages: number;
  droppedByNode: number;
  invalid: number;
}

/** Largest batch accepted from the node; its own default is 1024. */
const MAX_BATCH = 100_000;

export function netMessageFrom(m: NetMessage, maxPayloadBytes: number) {
  const size = Number(m.msgSize);
  const payload = maxPayloadBytes > 0 && m._hasPayload() ? m.payload.toUint8Array() : new Uint8Array(0);
  const kept = payload.subarray(0, Math.min(payload.length, maxPayloadBytes));
  const peerId = Number(m.peerId);
  if (!Number.isSafeInteger(peerId) || peerId < 0) throw new Error(`bad peer id ${m.peerId}`);
  if (!Number.isSafeInteger(size) || size < 0) throw new Error(`bad message size ${m.msgSize}`);
  return {
    peerId,
    addr: m.peerAddr.slice(0, 256),
    connType: m.connType.slice(0, 32),
    direction: m.inbound ? ("in" as const) : ("out" as const),
    msgType: m.msgType.slice(0, 32),
    size,
    ...(maxPayloadBytes > 0 ? { payloadHex: Buffer.from(kept).toString("hex"), truncated: kept.length < size } : {}),
  };
}

export class NetTracing {
  readonly stats: NetTracingStats = { batches: 0, messages: 0, droppedByNode: 0, invalid: 0 };
  private handler: Handler$Client | undefined;

  constructor(
    private readonly session: IpcSession,
    private readonly tracing: Tracing$Client,
    private readonly thread: Thread$Client,
    private readonly emit: Emit,
    private readonly options: NetTracingOptions,
  ) {}

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
    const answer = this.tracing.traceNetMessages((p) => {
      IpcSession.withThread(this.thread)(p);
      const o = p._initOptions();
      o.inbound = true;
      o.outbound = true;
      o.maxPayloadBytes = this.options.maxPayloadBytes;
      p.callback = callback.client();
    });
    await this.session.track("Tracing.traceNetMessages", answer.promise());
    this.handler = answer.getResult();
  }

  private onBatch(messages: $.List<NetMessage>, dropped: bigint): void {
    this.stats.batches++;
    const maxPayload = this.options.maxPayloadBytes;
    let bad = 0;
    // Straight from the segment (net-message-reader.ts), capnp-es where that cannot.
    const n = readNetMessages(
      messages,
      MAX_BATCH,
      maxPayload,
      (m) => netMessageFrom(m, maxPayload),
      (d) => {
        this.emit("net.message", d);
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

  /** Ends the subscription on the node (Handler.destroy). */
  async close(): Promise<void> {
    const h = this.handler;
    this.handler = undefined;
    if (!h || this.session.isClosed) return;
    await this.session.track("Handler.destroy", h.destroy(IpcSession.withThread(this.thread)).promise(), 5000).catch(() => {});
  }
}
