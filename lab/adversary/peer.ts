// One adversary: a real P2P v1 peer, speaking the wire protocol with the project's own codec
// (src/codecs/p2p), connecting from a chosen loopback source address so that many "peers" on one
// machine look like many hosts. Everything it does is bounded: a cap on messages sent, a deadline
// (the scenario's AbortSignal), and writes wait for the socket to drain instead of buffering a flood.
import net from "node:net";
import { randomBytes } from "node:crypto";
import { P2pMessageDecoder, encodeMessage, type P2pMessage } from "../../src/codecs/p2p/framing.js";
import { decodeNonce, encodeNonce, encodeVersion } from "../../src/codecs/p2p/messages.js";
import { assertLoopback } from "../safety.js";

/** Bitcoin Core's service bits (protocol.h). */
export const NODE_NETWORK = 1n;
export const NODE_BLOOM = 4n;
export const NODE_WITNESS = 8n;
export const NODE_COMPACT_FILTERS = 64n;
export const NODE_NETWORK_LIMITED = 1024n;
export const NODE_P2P_V2 = 2048n;

export interface VersionOptions {
  version?: number;
  services?: bigint;
  userAgent?: string;
  startHeight?: number;
  relay?: boolean;
}

export interface PeerTarget {
  host: string;
  port: number;
  magic: Uint8Array;
}

/** Largest number of messages one adversary sends, whatever a scenario asks: the lab's hard cap. */
export const MAX_MESSAGES_PER_PEER = 60_000;

export class LabPeerError extends Error {
  override name = "LabPeerError";
}

export class AdversaryPeer {
  sent = 0;
  received = 0;
  /** When this peer wrote its first byte (µs since the epoch), for the scorecard's latency. */
  firstSendUs: number | undefined;
  /** Answer the node's pings (an honest-looking peer); silent peers turn it off. */
  autoPong = true;
  readonly closed: Promise<string>;
  private readonly decoder: P2pMessageDecoder;
  private readonly handlers = new Map<string, ((m: P2pMessage) => void)[]>();
  private readonly waiters = new Map<string, ((m: P2pMessage) => void)[]>();
  private closeReason: string | undefined;

  private constructor(
    private readonly socket: net.Socket,
    readonly local: string,
    private readonly target: PeerTarget,
  ) {
    this.decoder = new P2pMessageDecoder(target.magic);
    this.closed = new Promise((resolve) => {
      socket.on("close", () => {
        this.closeReason ??= "the node closed the connection";
        resolve(this.closeReason);
      });
    });
    socket.on("error", (e: NodeJS.ErrnoException) => (this.closeReason ??= `socket error ${e.code ?? e.message}`));
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
  }

  /** Opens a TCP connection from `local` (a 127.x.y.z address) to the node; nothing is sent yet. */
  static connect(local: string, target: PeerTarget, signal: AbortSignal, timeoutMs = 5000): Promise<AdversaryPeer> {
    assertLoopback(target.host);
    assertLoopback(local);
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(new LabPeerError("scenario stopped"));
      const socket = net.connect({ host: target.host, port: target.port, localAddress: local });
      const timer = setTimeout(() => (socket.destroy(), reject(new LabPeerError(`connect from ${local} timed out`))), timeoutMs);
      socket.once("error", (e) => (clearTimeout(timer), reject(new LabPeerError(`connect from ${local}: ${e.message}`, { cause: e }))));
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        const p = new AdversaryPeer(socket, local, target);
        signal.addEventListener("abort", () => p.close("scenario deadline"), { once: true });
        resolve(p);
      });
    });
  }

  get isOpen(): boolean {
    return !this.socket.destroyed && this.closeReason === undefined;
  }

  get reason(): string | undefined {
    return this.closeReason;
  }

  /** Calls `fn` for every message of this command the node sends. */
  on(command: string, fn: (m: P2pMessage) => void): void {
    const list = this.handlers.get(command) ?? [];
    list.push(fn);
    this.handlers.set(command, list);
  }

  /** The next message of this command, or undefined after `timeoutMs` or when the connection ends. */
  waitFor(command: string, timeoutMs: number): Promise<P2pMessage | undefined> {
    return new Promise((resolve) => {
      const list = this.waiters.get(command) ?? [];
      const timer = setTimeout(() => done(undefined), timeoutMs);
      const done = (m: P2pMessage | undefined) => {
        clearTimeout(timer);
        const i = list.indexOf(done);
        if (i >= 0) list.splice(i, 1);
        resolve(m);
      };
      list.push(done);
      this.waiters.set(command, list);
      void this.closed.then(() => done(undefined));
    });
  }

  /** Sends one message; resolves when the socket can take more (backpressure, never a growing buffer). */
  send(command: string, payload?: Uint8Array): Promise<void> {
    return this.sendRaw(encodeMessage(this.target.magic, command, payload));
  }

  /** Sends bytes as they are (garbage scenarios); counted as one message. */
  sendRaw(bytes: Uint8Array): Promise<void> {
    if (!this.isOpen) return Promise.resolve();
    if (this.sent >= MAX_MESSAGES_PER_PEER) throw new LabPeerError(`${this.local}: more than ${MAX_MESSAGES_PER_PEER} messages: the lab's cap`);
    this.firstSendUs ??= Date.now() * 1000;
    this.sent++;
    if (this.socket.write(bytes)) return Promise.resolve();
    return new Promise((resolve) => {
      const go = () => (this.socket.off("drain", go), this.socket.off("close", go), resolve());
      this.socket.once("drain", go);
      this.socket.once("close", go);
    });
  }

  sendVersion(v: VersionOptions = {}): Promise<void> {
    return this.send(
      "version",
      encodeVersion({
        version: v.version ?? 70016,
        services: v.services ?? NODE_NETWORK | NODE_WITNESS,
        recvIp: this.target.host,
        recvPort: this.target.port,
        nonce: randomBytes(8).readBigUInt64LE(),
        userAgent: v.userAgent ?? "/Satoshi:27.0.0/",
        startHeight: v.startHeight ?? 0,
        relay: v.relay ?? true,
      }),
    );
  }

  /** version → (node's version, verack) → verack. False when the node did not finish it in time. */
  async handshake(v: VersionOptions = {}, timeoutMs = 10_000): Promise<boolean> {
    const version = this.waitFor("version", timeoutMs);
    const verack = this.waitFor("verack", timeoutMs);
    await this.sendVersion(v);
    if (!(await version)) return false;
    await this.send("verack");
    return (await verack) !== undefined;
  }

  close(reason = "closed by the lab"): void {
    this.closeReason ??= reason;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let msgs: P2pMessage[];
    try {
      msgs = this.decoder.push(chunk);
    } catch (e) {
      this.close(`the node sent what the codec refuses: ${(e as Error).message}`);
      return;
    }
    for (const m of msgs) {
      this.received++;
      if (m.command === "ping" && this.autoPong) void this.send("pong", encodeNonce(decodeNonce(m.payload, "ping")));
      for (const fn of this.handlers.get(m.command) ?? []) fn(m);
      const w = this.waiters.get(m.command);
      if (w?.length) (w[0] as (m: P2pMessage) => void)(m);
    }
  }
}
