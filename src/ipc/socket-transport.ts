// A capnp-es Transport over a net.Socket (capnp-es ships none). Incoming bytes go through the
// FrameDecoder (size limit) and the bounds check (traversal, nesting), whole messages are queued until the Conn asks for them (capnp-es's
// DeferredTransport would drop a message that arrives while none is awaited). Any failure ends the
// transport once, with a reason, and the owner is told through onClose.
import type net from "node:net";
import type { Message as RpcMessage } from "capnp-es/capnp/rpc";
import { FrameDecoder, FramingError } from "./frame-decoder.js";
import { openRpcMessage } from "./message-bounds.js";

export type CloseReason = { kind: "closed" | "error" | "malformed"; detail: string };

export class SocketTransport {
  private readonly decoder: FrameDecoder;
  private readonly queue: RpcMessage[] = [];
  private waiter: { resolve: (m: RpcMessage) => void; reject: (e?: unknown) => void } | undefined;
  private ended: CloseReason | undefined;
  /** Ends the transport once the Conn has taken every queued message. */
  private failAfterQueue: CloseReason | undefined;
  /** Called once when the transport ends, for whatever reason. */
  onClose: ((reason: CloseReason) => void) | undefined;
  bytesIn = 0;
  bytesOut = 0;

  constructor(
    private readonly socket: net.Socket,
    maxMessageBytes: number,
  ) {
    this.decoder = new FrameDecoder(maxMessageBytes);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err: NodeJS.ErrnoException) => this.abort({ kind: "error", detail: err.code ?? err.message }));
    socket.on("close", () => this.abort({ kind: "closed", detail: "the node closed the connection" }));
  }

  get closed(): boolean {
    return this.ended !== undefined;
  }

  sendMessage(msg: RpcMessage): void {
    if (this.ended) return; // pending calls are rejected by the owner; nothing to send on
    const buf = Buffer.from(msg.segment.message.toArrayBuffer());
    this.bytesOut += buf.length;
    this.socket.write(buf);
  }

  recvMessage(): Promise<RpcMessage> {
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    // Rejecting with undefined is how capnp-es's Conn learns the transport ended quietly.
    if (this.ended) return Promise.reject(undefined);
    const next = new Promise<RpcMessage>((resolve, reject) => (this.waiter = { resolve, reject }));
    if (this.failAfterQueue) {
      // After the answers the last message settled have run (they are microtasks; this is not).
      const reason = this.failAfterQueue;
      setImmediate(() => this.abort(reason));
    }
    return next;
  }

  close(): void {
    this.abort({ kind: "closed", detail: "closed by peerwatch" });
  }

  private onData(chunk: Buffer): void {
    if (this.ended || this.failAfterQueue) return;
    this.bytesIn += chunk.length;
    let frames: ArrayBuffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (e) {
      this.abort({ kind: "malformed", detail: e instanceof FramingError ? e.message : String(e) });
      return;
    }
    this.deliver(frames);
    const failure = this.decoder.failure;
    if (failure && !this.ended) {
      // Whole messages came before the bad header in this read: the Conn handles them first, then
      // the connection ends with the reason (see recvMessage).
      this.failAfterQueue = { kind: "malformed", detail: failure.message };
      if (frames.length === 0) this.abort(this.failAfterQueue);
    }
  }

  private deliver(frames: ArrayBuffer[]): void {
    for (const f of frames) {
      let m: RpcMessage;
      try {
        m = openRpcMessage(f); // capnp-es bounds neither traversal, nesting nor lists: see message-bounds.ts
      } catch (e) {
        this.abort({ kind: "malformed", detail: `undecodable message: ${(e as Error).message}` });
        return;
      }
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = undefined;
        w.resolve(m);
      } else {
        this.queue.push(m);
      }
    }
  }

  /** Ends the transport with a reason (also used by the session on a protocol error). */
  abort(reason: CloseReason): void {
    if (this.ended) return;
    this.ended = reason;
    this.queue.length = 0;
    this.socket.destroy();
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(undefined);
    this.onClose?.(reason);
  }
}
