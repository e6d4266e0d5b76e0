#!/usr/bin/env node
// A misbehaving scripted peer for the demo recording: it connects to a node, completes the P2P v1
// handshake like any light peer, then sends pings far faster than Bitcoin Core ever does (it pings
// every 2 minutes), so that peerwatch's `ping-spam` heuristic fires. It reuses peerwatch's own P2P
// codec (dist/, after `npm run build`); nothing here is a second implementation of the protocol.
//
//   node scripts/record-demo/flood-peer.mjs --target 127.0.0.1:18444 [--chain regtest]
//        [--pings 600] [--rate 20] [--linger 5]
//
// Prints one JSON summary line on stdout when done; exit 1 when the handshake fails.
import net from "node:net";
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { CHAIN_PARAMS } from "../../dist/config/chains.js";
import { P2pMessageDecoder, encodeMessage } from "../../dist/codecs/p2p/framing.js";
import { decodeNonce, encodeNonce, encodeVersion } from "../../dist/codecs/p2p/messages.js";

const { values } = parseArgs({
  options: {
    target: { type: "string" },
    chain: { type: "string", default: "regtest" },
    pings: { type: "string", default: "600" },
    rate: { type: "string", default: "20" },
    linger: { type: "string", default: "5" },
    "user-agent": { type: "string", default: "/record-demo-flood:0.1/" },
  },
});

function fail(msg) {
  process.stderr.write(`flood-peer: ${msg}\n`);
  process.exit(1);
}

const params = CHAIN_PARAMS[values.chain];
if (!params) fail(`unknown chain ${values.chain}`);
const m = /^(.+):(\d+)$/.exec(values.target ?? "");
if (!m) fail("--target <host:port> is required");
const [host, port] = [m[1], Number(m[2])];
const pings = Number(values.pings);
const rate = Number(values.rate);
const lingerMs = Number(values.linger) * 1000;
if (!(pings > 0 && rate > 0 && lingerMs >= 0)) fail("--pings and --rate must be positive, --linger not negative");

const magic = params.magic;
const decoder = new P2pMessageDecoder(magic);
const stats = { target: values.target, pingsSent: 0, pongs: 0, handshakeMs: 0 };
const started = Date.now();
let gotVersion = false;
let gotVerack = false;
let flooding = false;

const socket = net.connect({ host, port });
const send = (command, payload) => socket.write(encodeMessage(magic, command, payload));
const handshakeTimer = setTimeout(() => fail("no handshake within 10 s"), 10_000);

socket.on("connect", () => {
  send(
    "version",
    encodeVersion({
      version: 70016,
      services: 0n,
      recvIp: host,
      recvPort: port,
      nonce: randomBytes(8).readBigUInt64LE(),
      userAgent: values["user-agent"],
      startHeight: 0,
      relay: false,
    }),
  );
});
socket.on("error", (e) => fail(`socket: ${e.message}`));
socket.on("close", () => {
  if (!flooding) fail("the node closed the connection during the handshake");
});
socket.on("data", (chunk) => {
  let msgs;
  try {
    msgs = decoder.push(chunk);
  } catch (e) {
    fail(`protocol violation from the node: ${e.message}`);
  }
  for (const msg of msgs) {
    if (msg.command === "version") {
      gotVersion = true;
      send("verack");
    } else if (msg.command === "verack") {
      gotVerack = true;
    } else if (msg.command === "ping") {
      send("pong", encodeNonce(decodeNonce(msg.payload, "ping")));
    } else if (msg.command === "pong") {
      stats.pongs++;
    }
  }
  if (gotVersion && gotVerack && !flooding) startFlood();
});

function startFlood() {
  flooding = true;
  clearTimeout(handshakeTimer);
  stats.handshakeMs = Date.now() - started;
  const timer = setInterval(() => {
    send("ping", encodeNonce(randomBytes(8).readBigUInt64LE()));
    if (++stats.pingsSent >= pings) {
      clearInterval(timer);
      // Stay a moment so the last pongs come back, then leave like a peer that got what it wanted.
      setTimeout(() => {
        socket.end();
        process.stdout.write(`${JSON.stringify(stats)}\n`);
        process.exit(0);
      }, lingerMs);
    }
  }, 1000 / rate);
}
