// A scripted Bitcoin P2P peer that plays the node's side for the pinger tests: it answers the
// handshake, answers pings after a chosen delay (a processing backlog), and can send whatever
// else a test asks for.
import net from "node:net";
import { CHAIN_PARAMS } from "../../src/config/chains.js";
import { P2pMessageDecoder, encodeMessage, type P2pMessage } from "../../src/codecs/p2p/framing.js";
import { decodeNonce, encodeNonce, encodeVersion } from "../../src/codecs/p2p/messages.js";

const magic = CHAIN_PARAMS.regtest.magic;

export class ScriptedNode {
  pongDelayMs = 0;
  answerPings = true;
  /** Called on each connection once the node has sent its verack (to misbehave after the handshake). */
  afterHandshake: ((s: net.Socket) => void) | undefined;
  /** The user agent of the node played (e.g. a Knots one). */
  userAgent = "/Satoshi:31.99.0/";
  received: P2pMessage[] = [];
  sockets: net.Socket[] = [];
  private server: net.Server | undefined;
  port = 0;

  /** Serve (the pinger connects to us), on `port` (0: any free one). */
  async listen(port = 0): Promise<void> {
    this.server = net.createServer((s) => this.attach(s));
    await new Promise<void>((r) => this.server!.listen(port, "127.0.0.1", r));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  /** Connect out (the pinger listens, like a node started with -addnode). */
  connect(port: number, opts: { v2First?: boolean } = {}): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const s = net.createConnection({ host: "127.0.0.1", port }, () => {
        // like Bitcoin Core: v2 (64 bytes of an ElligatorSwift key) first, else a v1 version
        s.write(opts.v2First ? Buffer.alloc(64, 0x86) : this.versionMsg());
        resolve(s);
      });
      s.once("error", reject);
      this.attach(s, true);
    });
  }

  private versionMsg(): Buffer {
    return this.msg(
      "version",
      encodeVersion({
        version: 70017,
        services: 0xc09n,
        recvIp: "127.0.0.1",
        recvPort: 1,
        nonce: 99n,
        userAgent: this.userAgent,
        startHeight: 111,
        relay: true,
      }),
    );
  }

  private attach(s: net.Socket, initiator = false): void {
    this.sockets.push(s);
    const d = new P2pMessageDecoder(magic);
    s.on("error", () => {});
    s.on("data", (chunk: Buffer) => {
      for (const m of d.push(chunk)) {
        this.received.push(m);
        if (m.command === "version") {
          if (!initiator) s.write(this.versionMsg());
          s.write(this.msg("verack"));
          s.write(this.msg("sendcmpct", Buffer.from("000200000000000000", "hex")));
          this.afterHandshake?.(s);
        } else if (m.command === "ping" && this.answerPings) {
          const nonce = decodeNonce(m.payload, "ping");
          setTimeout(() => s.write(this.msg("pong", encodeNonce(nonce))), this.pongDelayMs);
        }
      }
    });
  }

  msg(command: string, payload?: Buffer): Buffer {
    return encodeMessage(magic, command, payload);
  }

  sendAll(data: Buffer): void {
    for (const s of this.sockets) if (!s.destroyed) s.write(data);
  }

  count(command: string): number {
    return this.received.filter((m) => m.command === command).length;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
