// The bounds check before capnp-es: every real message of a bitcoin-node session passes it, with a
// traversal no larger than its size; crafted ones fail with the bound they break.
import fs from "node:fs";
import { Message } from "capnp-es";
import { Message as RpcMessage } from "capnp-es/capnp/rpc";
import { describe, expect, it } from "vitest";
import { FrameDecoder } from "../../src/ipc/frame-decoder.js";
import { MessageBoundsError, checkMessageBounds } from "../../src/ipc/message-bounds.js";
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
});
