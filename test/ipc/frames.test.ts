// The IPC framing and message decoding, on the real bytes of a session with Bitcoin Core master.
import fs from "node:fs";
import { Message } from "capnp-es";
import { Message as RpcMessage, Message_Which } from "capnp-es/capnp/rpc";
import { describe, expect, it } from "vitest";
import { FrameDecoder, FramingError, MAX_SEGMENTS } from "../../src/ipc/frame-decoder.js";
import { captureFile } from "../helpers/capture.js";

function captured(dir: "c2s" | "s2c"): Buffer[] {
  return fs
    .readFileSync(captureFile("ipc-frames.txt"), "utf8")
    .split("\n")
    .filter((l) => l.startsWith(`${dir} `))
    .map((l) => Buffer.from(l.split(" ")[2] ?? "", "hex"));
}

function decodeAll(chunks: Buffer[], limit = 64 * 1024 * 1024): RpcMessage[] {
  const d = new FrameDecoder(limit);
  const out = chunks.flatMap((c) => d.push(c)).map((ab) => new Message(ab, false).getRoot(RpcMessage));
  expect(d.pendingBytes).toBe(0);
  return out;
}

const INIT_ID = 0x8838c700ba5cba65n;
const RPC_ID = 0xacb1d37f0a713129n;

describe("FrameDecoder on a real bitcoin-node session", () => {
  it("decodes the client's stream: bootstrap, Init calls, 200+ executeRpc calls", () => {
    const msgs = decodeAll(captured("c2s"));
    expect(msgs[0]?.which()).toBe(Message_Which.BOOTSTRAP);
    const calls = msgs.filter((m) => m.which() === Message_Which.CALL).map((m) => m.call);
    expect(calls[0]?.interfaceId).toBe(INIT_ID);
    expect(calls[0]?.methodId).toBe(0); // construct
    expect(calls.filter((c) => c.interfaceId === RPC_ID && c.methodId === 0).length).toBeGreaterThanOrEqual(201);
  });

  it("decodes the node's stream: every call gets a return", () => {
    const c2s = decodeAll(captured("c2s"));
    const s2c = decodeAll(captured("s2c"));
    const asked = c2s.filter((m) => m.which() === Message_Which.CALL || m.which() === Message_Which.BOOTSTRAP).length;
    const returned = s2c.filter((m) => m.which() === Message_Which.RETURN).length;
    expect(returned).toBe(asked);
  });

  it("gives the same messages whatever the chunking", () => {
    const whole = Buffer.concat(captured("s2c"));
    const reference = decodeAll([whole]).map((m) => m.which());
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 5; round++) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < whole.length; ) {
        const n = 1 + Math.floor(rnd() * (round === 0 ? 3 : 700));
        chunks.push(whole.subarray(i, i + n));
        i += n;
      }
      expect(decodeAll(chunks).map((m) => m.which())).toEqual(reference);
    }
  });
});

describe("FrameDecoder limits", () => {
  const header = (segments: number[], pad = true) => {
    const n = segments.length;
    const b = Buffer.alloc(4 + 4 * n + (pad && n % 2 === 0 ? 4 : 0));
    b.writeUInt32LE(n - 1, 0);
    segments.forEach((w, i) => {
      b.writeUInt32LE(w, 4 + 4 * i);
    });
    return b;
  };

  it("refuses a message over the limit from its header alone", () => {
    const d = new FrameDecoder(1024);
    expect(() => d.push(header([1_000_000]))).toThrow(FramingError);
    expect(() => new FrameDecoder(1024).push(header([1_000_000]))).toThrow(/exceeds the limit of 1024 bytes/);
  });

  it("refuses a header claiming too many segments", () => {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(MAX_SEGMENTS + 5, 0);
    expect(() => new FrameDecoder(1 << 20).push(b)).toThrow(/segments/);
  });

  it("refuses an all-empty message", () => {
    expect(() => new FrameDecoder(1 << 20).push(header([0]))).toThrow(/no data/);
  });

  it("returns a whole message that came before a bad header in the same read, then fails", () => {
    const d = new FrameDecoder(1 << 20);
    const good = Buffer.concat([header([1]), Buffer.alloc(8, 0xab)]);
    const bad = Buffer.alloc(8);
    bad.writeUInt32LE(MAX_SEGMENTS + 5, 0);
    const out = d.push(Buffer.concat([good, bad]));
    expect(out.map((f) => Buffer.from(f))).toEqual([good]);
    expect(d.failure?.message).toMatch(/segments/);
    expect(() => d.push(Buffer.alloc(8))).toThrow(/segments/);
  });

  it("waits for the rest of a split header and body", () => {
    const d = new FrameDecoder(1 << 20);
    const msg = Buffer.concat([header([2, 1]), Buffer.alloc(24, 0xab)]);
    for (let i = 0; i < msg.length - 1; i++) expect(d.push(msg.subarray(i, i + 1))).toEqual([]);
    const out = d.push(msg.subarray(msg.length - 1));
    expect(out).toHaveLength(1);
    expect(Buffer.from(out[0]!)).toEqual(msg);
  });
});
