// Every decoder of outside input, as a fuzz target: seeds from the real captures, and a function that
// either accepts or rejects an input. Rejecting is any error the decoder is documented to raise;
// anything else thrown (or a hang, or a leak) is a bug. Used by test/fuzz/fuzz.test.ts, which
// `npm run fuzz` runs with 100,000 inputs per target.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Conn } from "capnp-es";
import { loadObserveConfig } from "../../src/cli/observe-options.js";
import { P2pDecodeError } from "../../src/codecs/p2p/byte-reader.js";
import { P2pMessageDecoder } from "../../src/codecs/p2p/framing.js";
import { decodeAddr, decodeAddrV2, decodeFeeFilter, decodeInv, decodeNonce, decodeVersion } from "../../src/codecs/p2p/messages.js";
import { decodePayload } from "../../src/codecs/p2p/payload-decoder.js";
import { parseReply } from "../../src/codecs/jsonrpc/jsonrpc.js";
import { toPeerInfo } from "../../src/codecs/jsonrpc/peers.js";
import { RpcError } from "../../src/codecs/jsonrpc/transport.js";
import { ConfigError } from "../../src/config/load.js";
import { CHAIN_PARAMS } from "../../src/config/chains.js";
import { parseLine } from "../../src/ebpf/line-parser.js";
import { RPC_SNAPSHOT_SCHEMAS, decodeEventLine, encodeEvent, getPeerInfoResult, makeEvent } from "../../src/events/index.js";
import { FrameDecoder, FramingError } from "../../src/ipc/frame-decoder.js";
import { MessageBoundsError, openRpcMessage } from "../../src/ipc/message-bounds.js";
import { capturedPayloads } from "../helpers/bpftrace-capture.js";
import { CAPTURE_DIR, REPO_ROOT, captureFile } from "../helpers/capture.js";

export type Verdict = "accepted" | "rejected";

export interface FuzzTarget {
  name: string;
  /** Real inputs the mutations start from. */
  seeds: Uint8Array[];
  /** Decodes one input; returns the verdict, throws only on a bug. */
  run(input: Uint8Array): Verdict;
}

const text = (b: Uint8Array): string => Buffer.from(b).toString("utf8");
const lines = (file: string): string[] =>
  fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.length > 0);
const isA = (e: unknown, ...classes: (new (...a: never[]) => Error)[]): boolean => classes.some((c) => e instanceof c);

/** Runs `f`; an error of one of `classes` is a rejection, anything else propagates (a bug). */
function rejectsWith(classes: (new (...a: never[]) => Error)[], f: () => unknown): Verdict {
  try {
    f();
    return "accepted";
  } catch (e) {
    if (isA(e, ...classes)) return "rejected";
    throw e;
  }
}

const ipcFrames = (): Buffer[] =>
  lines(captureFile("ipc-frames.txt"))
    .filter((l) => /^(c2s|s2c) \d+ [0-9a-f]+$/.test(l))
    .map((l) => Buffer.from(l.split(" ")[2] as string, "hex"));

/** A capnp-es connection that never sends anything anywhere: the fuzzed messages go straight in. */
function quietConn(): Conn {
  const transport = { sendMessage() {}, recvMessage: () => new Promise<never>(() => {}), close() {} };
  return new Conn(transport as never);
}

export function fuzzTargets(): FuzzTarget[] {
  const regtest = CHAIN_PARAMS.regtest.magic;
  const p2pMessages = lines(path.join(REPO_ROOT, "test/p2p/vectors/regtest-node-messages.txt"))
    .filter((l) => !l.startsWith("#"))
    .map((l) => Buffer.from(l.split(" ")[1] ?? "", "hex"));
  const bpftraceLines = lines(path.join(REPO_ROOT, "test/ebpf/recorded/fixture-all.txt"));
  const payloads = ["version", "inv", "addr", "addrv2", "ping", "pong", "feefilter", "tx", "headers"].flatMap((t) =>
    capturedPayloads("in", t)
      .slice(0, 5)
      .map((p) => Buffer.concat([Buffer.from(`${t}\0`), p.payload])),
  );
  const rpcReplies = fs
    .readdirSync(path.join(CAPTURE_DIR, "rpc"))
    .map((f) => Buffer.from(`${f.replace(/\.json$/, "")}\0{"result":${fs.readFileSync(path.join(CAPTURE_DIR, "rpc", f), "utf8")},"error":null,"id":1}`));
  const eventLines = bpftraceLines
    .map((l) => parseLine(l, 64))
    .flatMap((r) => (r.kind === "event" ? [Buffer.from(encodeEvent(makeEvent("ebpf", "n", r.type, r.data as never)))] : []))
    .slice(0, 40);
  const configs = [
    { chain: "regtest", rpcInterval: 5, sources: "rpc,p2p", p2p: "127.0.0.1:18444" },
    { datadir: "/srv/btc", nodeName: "a-node", metrics: "127.0.0.1:9432", duration: 10 },
    { pid: 42, pingInterval: 2.5, ebpfPayloadBytes: 64, rpcDisable: "listbanned" },
  ].map((c) => Buffer.from(JSON.stringify(c)));
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-fuzz-config-"));
  const configFile = path.join(configDir, "c.json");
  let conn = quietConn();
  let connUses = 0;

  return [
    {
      name: "ipc framing",
      seeds: ipcFrames(),
      run: (b) =>
        rejectsWith([FramingError], () => {
          const d = new FrameDecoder(1 << 20);
          // Two chunks, split where the input says: the decoder must not care.
          const cut = b.length ? (b[0] as number) % b.length : 0;
          d.push(Buffer.from(b.subarray(0, cut)));
          d.push(Buffer.from(b.subarray(cut)));
        }),
    },
    {
      name: "ipc capnp connection",
      seeds: ipcFrames().map((f) => f),
      run: (b) => {
        const frame = new ArrayBuffer(b.length);
        new Uint8Array(frame).set(b);
        return rejectsWith([MessageBoundsError, Error], () => {
          // What SocketTransport does with one frame, then the Conn: errors there end a
          // connection (contained); an unhandled rejection or a hang is the bug looked for.
          const m = openRpcMessage(frame);
          if (++connUses % 1000 === 0) conn = quietConn();
          conn.handleMessage(m);
        });
      },
    },
    {
      name: "bpftrace lines",
      seeds: bpftraceLines.map((l) => Buffer.from(l)),
      run: (b) => {
        const r = parseLine(text(b), 64);
        return r.kind === "invalid" || r.kind === "unexpected" ? "rejected" : "accepted";
      },
    },
    {
      name: "bpftrace payloads",
      seeds: payloads,
      run: (b) => {
        const nul = b.indexOf(0);
        const type = text(b.subarray(0, Math.max(nul, 0)));
        return decodePayload(type, Buffer.from(b.subarray(nul + 1))) ? "accepted" : "rejected";
      },
    },
    {
      name: "p2p framing",
      seeds: p2pMessages,
      run: (b) =>
        rejectsWith([P2pDecodeError], () => {
          const d = new P2pMessageDecoder(regtest);
          const cut = b.length ? (b[0] as number) % b.length : 0;
          d.push(Buffer.from(b.subarray(0, cut)));
          d.push(Buffer.from(b.subarray(cut)));
        }),
    },
    {
      name: "p2p messages",
      seeds: p2pMessages.map((m) => m.subarray(24)),
      run: (b) => {
        const decoders = [decodeVersion, decodeInv, decodeAddr, decodeAddrV2, decodeFeeFilter, (p: Uint8Array) => decodeNonce(p, "ping")];
        const f = decoders[(b[0] ?? 0) % decoders.length] as (p: Uint8Array) => unknown;
        return rejectsWith([P2pDecodeError], () => f(b.subarray(1)));
      },
    },
    {
      name: "rpc replies",
      seeds: rpcReplies,
      run: (b) => {
        const nul = Math.max(b.indexOf(0), 0);
        const method = text(b.subarray(0, nul));
        return rejectsWith([RpcError], () => {
          const raw = parseReply(text(b.subarray(nul + 1)), method);
          if (method === "getpeerinfo") {
            const r = getPeerInfoResult.safeParse(raw);
            if (!r.success) throw new RpcError("invalid", "schema");
            JSON.stringify(r.data.map(toPeerInfo));
          } else if (Object.hasOwn(RPC_SNAPSHOT_SCHEMAS, method)) {
            const r = RPC_SNAPSHOT_SCHEMAS[method as keyof typeof RPC_SNAPSHOT_SCHEMAS].safeParse(raw);
            if (!r.success) throw new RpcError("invalid", "schema");
            JSON.stringify(r.data);
          }
        });
      },
    },
    {
      name: "config files",
      seeds: configs,
      run: (b) => {
        fs.writeFileSync(configFile, b);
        return rejectsWith([ConfigError], () => loadObserveConfig({ config: configFile }, {}));
      },
    },
    {
      name: "event lines",
      seeds: eventLines,
      run: (b) => (decodeEventLine(b).ok ? "accepted" : "rejected"),
    },
  ];
}
