// One P2P connection between peerwatch and the node: the handshake as a well-behaved,
// non-relaying light peer (services none, relay off), answering the node's pings, pinging it every
// interval and timing each pong. Sends nothing else unsolicited. Ends (resolves) with a reason on
// close, protocol violation, handshake timeout, pong timeout or a message left half-sent
// (slow-loris); `misbehaved` then tells the source to back off instead of reconnecting at once.
import type net from "node:net";
import { randomBytes } from "node:crypto";
import { DROP_REASONS, type Emit } from "../events/index.js";
import { P2pDecodeError } from "../codecs/p2p/byte-reader.js";
import { P2pMessageDecoder, encodeMessage, type P2pMessage } from "../codecs/p2p/framing.js";
import {
  decodeAddr,
  decodeAddrV2,
  decodeFeeFilter,
  decodeInv,
  decodeNonce,
  decodeVersion,
  encodeNonce,
  encodeVersion,
  type VersionPayload,
} from "../codecs/p2p/messages.js";
import { VERSION } from "../version.js";

/** What we claim: protocol 70016 (wtxidrelay era), no services, no relay. */
export const OUR_PROTOCOL_VERSION = 70016;
/** peerwatch and its version (package.json), as BIP 14 spells a user agent. */
export const USER_AGENT = `/peerwatch:${VERSION}/`;
/** The reason given when a connecting node offers BIP324 v2: expected, and it retries with v1. */
export const V2_OFFERED = "the node offered BIP324 v2 transport; closed so that it retries with v1";

function startsWithMagic(chunk: Buffer, magic: Uint8Array): boolean {
  const n = Math.min(chunk.length, magic.length);
  return chunk.subarray(0, n).equals(Buffer.from(magic).subarray(0, n));
}

/** Pings in flight at once; more means the node answers none, and the oldest are forgotten. */
export const MAX_OUTSTANDING_PINGS = 64;

export interface PeerConnectionOptions {
  magic: Uint8Array;
  /** Names the node in events, e.g. "127.0.0.1:18444". */
  target: string;
  pingIntervalMs: number;
  handshakeTimeoutMs?: number;
  /** No pong at all for this long: the connection is considered dead. */
  pongTimeoutMs?: number;
  /** A message started but not finished for this long after the handshake: a slow-loris. */
  stallTimeoutMs?: number;
  emit: Emit;
  onHandshake?: (v: VersionPayload) => void;
  relay?: boolean;
  /**
   * Who opened the connection. The initiator (connect mode) sends version first; the responder
   * (listen mode, the node connected to us) waits for the node's version, as v1 peers do.
   */
  role?: "initiator" | "responder";
}

export interface PeerConnectionStats {
  pingsSent: number;
  pongs: number;
  unknownPongs: number;
  forgottenPings: number;
  messagesIn: number;
}

/** Lost measurements are reported at most once per ping interval, summed: a pong flood is one event. */
const UNKNOWN_PONG_REASON = `${DROP_REASONS.untimedPong} (not timed)`;
const FORGOTTEN_PING_REASON = `${DROP_REASONS.forgottenPing} (after ${MAX_OUTSTANDING_PINGS} outstanding)`;

export class PeerConnection {
  readonly stats: PeerConnectionStats = { pingsSent: 0, pongs: 0, unknownPongs: 0, forgottenPings: 0, messagesIn: 0 };
  private readonly decoder: P2pMessageDecoder;
  private readonly outstanding = new Map<bigint, bigint>(); // nonce → hrtime sent
  private version: VersionPayload | undefined;
  private gotVersion = false;
  private gotVerack = false;
  private pingTimer: NodeJS.Timeout | undefined;
  private readonly handshakeTimer: NodeJS.Timeout;
  private lastPongAt = process.hrtime.bigint();
  /** When the bytes now buffered started to arrive (a message in progress), if any are. */
  private partialSince: bigint | undefined;
  /** Lost measurements not reported yet. */
  private unreported = { unknownPongs: 0, forgottenPings: 0 };
  /** The handshake completed on this connection. */
  handshakeDone = false;
  /** It ended because the node broke the protocol or stalled, not because it went away. */
  misbehaved = false;
  private done!: (reason: string) => void;
  /** Resolves with the reason the connection ended. */
  readonly ended: Promise<string>;

  constructor(
    private readonly socket: net.Socket,
    private readonly o: PeerConnectionOptions,
  ) {
    this.decoder = new P2pMessageDecoder(o.magic);
    let finished = false;
    this.ended = new Promise((resolve) => {
      this.done = (reason) => {
        if (finished) return;
        finished = true;
        clearInterval(this.pingTimer);
        clearTimeout(this.handshakeTimer);
        this.reportLost();
        socket.destroy();
        resolve(reason);
      };
    });
    this.handshakeTimer = setTimeout(() => this.misbehave(`no handshake within ${o.handshakeTimeoutMs ?? 10_000} ms`), o.handshakeTimeoutMs ?? 10_000);
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (e: NodeJS.ErrnoException) => this.done(`socket error ${e.code ?? e.message}`));
    socket.on("close", () => this.done("the node closed the connection"));
    if ((o.role ?? "initiator") === "initiator") this.sendVersion();
  }

  private sendVersion(): void {
    this.send(
      "version",
      encodeVersion({
        version: OUR_PROTOCOL_VERSION,
        services: 0n,
        recvIp: this.socket.remoteAddress?.replace(/^::ffff:/, "") ?? "0.0.0.0",
        recvPort: this.socket.remotePort ?? 0,
        nonce: randomBytes(8).readBigUInt64LE(),
        userAgent: USER_AGENT,
        startHeight: 0,
        relay: this.o.relay ?? false,
      }),
    );
  }

  close(reason = "closed by peerwatch"): void {
    this.done(reason);
  }

  private misbehave(reason: string): void {
    this.misbehaved = true;
    this.done(reason);
  }

  private send(command: string, payload?: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(encodeMessage(this.o.magic, command, payload));
  }

  private onData(chunk: Buffer): void {
    // A node connecting to us tries BIP324 (v2) first: its first bytes are not our magic. peerwatch
    // speaks v1 only; closing before sending anything makes the node retry with v1.
    if (this.o.role === "responder" && this.stats.messagesIn === 0 && this.decoder.bufferedBytes === 0 && !startsWithMagic(chunk, this.o.magic)) {
      this.done(V2_OFFERED);
      return;
    }
    let msgs: P2pMessage[];
    try {
      msgs = this.decoder.push(chunk);
    } catch (e) {
      this.misbehave(`protocol violation: ${(e as Error).message}`);
      return;
    }
    this.partialSince = this.decoder.bufferedBytes === 0 ? undefined : (this.partialSince ?? process.hrtime.bigint());
    for (const m of msgs) {
      this.stats.messagesIn++;
      try {
        this.onMessage(m);
      } catch (e) {
        if (e instanceof P2pDecodeError) {
          this.misbehave(`protocol violation: ${e.message}`);
          return;
        }
        throw e;
      }
    }
  }

  private onMessage(m: P2pMessage): void {
    const { emit, target } = this.o;
    switch (m.command) {
      case "version": {
        if (this.gotVersion) throw new P2pDecodeError("second version message");
        const v = decodeVersion(m.payload);
        this.gotVersion = true;
        if (this.o.role === "responder") this.sendVersion();
        this.send("verack");
        this.version = v;
        this.maybeStart();
        return;
      }
      case "verack":
        this.gotVerack = true;
        this.maybeStart();
        return;
      case "ping":
        this.send("pong", encodeNonce(decodeNonce(m.payload, "ping")));
        return;
      case "pong":
        this.onPong(decodeNonce(m.payload, "pong"));
        return;
      case "feefilter":
        emit("p2p.announcement", { target, msgType: "feefilter", size: m.payload.length, feeRateSatVb: decodeFeeFilter(m.payload) });
        return;
      case "inv": {
        const inv = decodeInv(m.payload);
        emit("p2p.announcement", { target, msgType: "inv", size: m.payload.length, entries: inv.count, invTypes: inv.types });
        return;
      }
      case "addr":
      case "addrv2": {
        const a = m.command === "addr" ? decodeAddr(m.payload) : decodeAddrV2(m.payload);
        emit("p2p.announcement", { target, msgType: m.command, size: m.payload.length, entries: a.count, networks: a.networks });
        return;
      }
      default:
        // getheaders, sendcmpct, sendheaders, wtxidrelay, sendaddrv2 …: a light peer ignores them politely.
        return;
    }
  }

  private maybeStart(): void {
    if (!this.gotVersion || !this.gotVerack || this.pingTimer) return;
    clearTimeout(this.handshakeTimer); // done: it must not drop a working connection 10 s later
    this.handshakeDone = true;
    this.o.onHandshake?.(this.version as VersionPayload);
    this.lastPongAt = process.hrtime.bigint();
    this.ping();
    this.pingTimer = setInterval(() => this.ping(), this.o.pingIntervalMs);
  }

  private ping(): void {
    const pongTimeoutNs = BigInt(this.o.pongTimeoutMs ?? Math.max(120_000, 10 * this.o.pingIntervalMs)) * 1_000_000n;
    const now = process.hrtime.bigint();
    if (this.outstanding.size > 0 && now - this.lastPongAt > pongTimeoutNs) {
      this.misbehave(`no pong for ${Number((now - this.lastPongAt) / 1_000_000_000n)} s: the node is not processing our messages`);
      return;
    }
    const stallNs = BigInt(this.o.stallTimeoutMs ?? Math.max(30_000, 3 * this.o.pingIntervalMs)) * 1_000_000n;
    if (this.partialSince !== undefined && now - this.partialSince > stallNs) {
      this.misbehave(
        `slow-loris: ${this.decoder.bufferedBytes} bytes of a message still incomplete after ${Number((now - this.partialSince) / 1_000_000n)} ms`,
      );
      return;
    }
    this.reportLost();
    if (this.outstanding.size >= MAX_OUTSTANDING_PINGS) {
      const oldest = this.outstanding.keys().next().value as bigint;
      this.outstanding.delete(oldest);
      this.stats.forgottenPings++;
      this.unreported.forgottenPings++;
    }
    const nonce = randomBytes(8).readBigUInt64LE();
    this.outstanding.set(nonce, process.hrtime.bigint());
    this.stats.pingsSent++;
    this.send("ping", encodeNonce(nonce));
  }

  private onPong(nonce: bigint): void {
    const sent = this.outstanding.get(nonce);
    if (sent === undefined) {
      this.stats.unknownPongs++;
      this.unreported.unknownPongs++;
      return;
    }
    const now = process.hrtime.bigint();
    this.outstanding.delete(nonce);
    this.lastPongAt = now;
    this.stats.pongs++;
    this.o.emit("ping.rtt", { rttNs: Number(now - sent), target: this.o.target });
  }

  /** Round trips that could not be timed, as events.dropped (summed since the last report). */
  private reportLost(): void {
    const { unknownPongs, forgottenPings } = this.unreported;
    if (unknownPongs) this.o.emit("events.dropped", { source: "p2p", count: unknownPongs, reason: UNKNOWN_PONG_REASON });
    if (forgottenPings) this.o.emit("events.dropped", { source: "p2p", count: forgottenPings, reason: FORGOTTEN_PING_REASON });
    this.unreported = { unknownPongs: 0, forgottenPings: 0 };
  }
}
