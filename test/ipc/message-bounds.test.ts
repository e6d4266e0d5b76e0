// The bounds check before capnp-es: every real message of a bitcoin-node session passes it, with a
// traversal no larger than its size; crafted ones fail with the bound they break.
import fs from "node:fs";
import { Message } from "capnp-es";
import { Message as RpcMessage } from "capnp-es/capnp/rpc";
import { describe, expect, it } from "vitest";
import { FrameDecoder } from "../../src/ipc/frame-decoder.js";
import { MessageBoundsError, checkMessageBounds, openRpcMessage } from "../../src/ipc/message-bounds.js";
import { captureFile } from "../helpers/capture.js";
import { hugeCapTableReturnFrame, pointerCycleFrame } from "../helpers/hostile-ipc.js";

const realFrames = (): ArrayBuffer[] => {
  const d = new FrameDecoder(1 << 26);
  return fs
    .readFileSync(captureFile("ipc-frames.txt"), "utf8")
    .split("\n")
    .filter((l) => / [0-9a-f]+$/.test(l))
    .flatMap((l) => d.push(Buffer.from(l.split(" ")[2] ?? "", "hex")));
};

describe("checkMessageBounds", () => {
  it("passes every message of the real session, reading each word at most once", () => {
    const frames = realFrames();
    expect(frames.length).toBeGreaterThan(500);
    for (const f of frames) expect(checkMessageBounds(f)).toBeLessThanOrEqual(f.byteLength / 8);
  });

  it("follows far pointers across segments", () => {
    // A message whose root lives in a second segment, reached through a far pointer.
    const m = new Message();
    const root = m.initRoot(RpcMessage)._initCall();
    root.questionId = 1;
    const one = m.toArrayBuffer();
    // Rebuild as two segments: segment 0 holds only a far pointer to word 0 of segment 1, whose
    // first word is the landing pad (the original root pointer, offset adjusted by nothing: it
    // stays relative to its own position).
    const dv = new DataView(one);
    const words = dv.getUint32(4, true);
    const body = new Uint8Array(one, 8, words * 8);
    const two = new ArrayBuffer(16 + 8 + words * 8);
    const out = new DataView(two);
    out.setUint32(0, 1, true); // 2 segments
    out.setUint32(4, 1, true);
    out.setUint32(8, words, true);
    out.setUint32(16, 2, true); // far pointer: landing pad at word 0 of segment 1
    out.setUint32(20, 1, true);
    new Uint8Array(two, 24).set(body);
    expect(checkMessageBounds(two)).toBeGreaterThan(0);
    expect(new Message(two, false).getRoot(RpcMessage).call.questionId).toBe(1);
  });

  it("refuses empty capTable entries beyond the budget, pointer cycles and pointers out of bounds", () => {
    expect(() => checkMessageBounds(hugeCapTableReturnFrame(536_870_911))).toThrow(/traversal exceeds/);
    expect(() => checkMessageBounds(pointerCycleFrame())).toThrow(/nests deeper than 64 levels/);
    const m = new Message();
    m.initRoot(RpcMessage)._initCall();
    const f = m.toArrayBuffer();
    new DataView(f).setUint32(8, 0x7ffff0 << 2, true); // root struct pointer far past the segment
    expect(() => checkMessageBounds(f)).toThrow(MessageBoundsError);
    expect(() => checkMessageBounds(f)).toThrow(/outside its segment/);
  });

  it("refuses a reserved pointer where capnp-es would read a capTable of 228,869,510 entries (found by npm run fuzz)", () => {
    // A 28-word Call whose capTable pointer is a reserved "other" pointer: capnp-es took a length
    // from whatever word it pointed at and ran out of heap iterating it.
    const b = Buffer.from(
      [
        "000000002000000000000000010001000200000000000000000000000300030003000000000000002931710a7fd3b1ac00000000000000000800000001000100",
        "0c00000000000200000000000000000004000000000000000000000000000000040000000000040057000000170000000c0000000000020011000000f2010000",
        "2d000000120000002d0000000a000000030000000000000000000000000000007b226a736f6e7270634c3a22322e30222c226964223a3130332c226d6574686f",
        "64223a2267657470656572696e666f222c22706172616d7322706172616d73223a5b5d7d0000002f000000000000000000000000000000040000000100010003",
        "000000020000000000000000000000",
      ].join(""),
      "hex",
    );
    const f = new ArrayBuffer(b.length);
    new Uint8Array(f).set(b);
    expect(() => openRpcMessage(f)).toThrow(MessageBoundsError);
    expect(() => openRpcMessage(f)).toThrow(/reserved pointer type/);
  });

  it("bounds the capTable capnp-es will walk, whatever its pointer says", () => {
    expect(() => openRpcMessage(hugeCapTableReturnFrame(2000))).toThrow(MessageBoundsError);
  });
});
