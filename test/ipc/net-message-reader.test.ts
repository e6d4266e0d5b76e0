// The segment reader of traced net messages gives exactly what capnp-es gives (netMessageFrom), on
// single- and multi-segment batches as they arrive off the wire, and rejects what is malformed.
import * as $ from "capnp-es";
import { describe, expect, it } from "vitest";
import { NetMessageTrace_Messages$Params, type NetMessage } from "../../src/ipc/generated/experimental/tracing_net.js";
import { readNetMessages, type NetMessageData } from "../../src/ipc/net-message-reader.js";
import { netMessageFrom } from "../../src/ipc/net-tracing.js";

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const TEXTS = [
  "",
  "127.0.0.1:18444",
  "[2001:db8::1]:8333",
  "vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd.onion:8333",
  "inbound",
  "outbound-full-relay",
  "ping",
  "inv",
  "wtxidrelay",
  "héllo😀",
  "x".repeat(300),
];

/** A batch built with capnp-es, serialised and read back as a message from the wire. */
function batch(n: number, seed: number): $.List<NetMessage> {
  const random = rng(seed);
  const pick = () => TEXTS[Math.floor(random() * TEXTS.length)]!;
  const msg = new $.Message();
  const p = msg.initRoot(NetMessageTrace_Messages$Params);
  const list = p._initMessages(n);
  for (let i = 0; i < n; i++) {
    const m = list.get(i);
    m.inbound = random() < 0.5;
    m.peerId = BigInt(Math.floor(random() * 2 ** 53));
    if (random() < 0.9) m.peerAddr = pick();
    if (random() < 0.9) m.connType = pick();
    m.msgType = pick();
    m.msgSize = BigInt(Math.floor(random() * 5_000_000));
    const len = Math.floor(random() * 200);
    if (random() < 0.8) m._initPayload(len).copyBuffer(new Uint8Array(Array.from({ length: len }, (_, k) => (k * 7 + i) & 255)));
    m.timestampUs = BigInt(1_795_470_474_000_000 + i);
  }
  return new $.Message(msg.toArrayBuffer(), false).getRoot(NetMessageTrace_Messages$Params).messages;
}

function both(list: $.List<NetMessage>, maxPayload: number) {
  const fast: (NetMessageData | string)[] = [];
  let viaCapnpEs = 0;
  const slowRead = (m: NetMessage) => {
    viaCapnpEs++;
    return netMessageFrom(m, maxPayload);
  };
  const times: number[] = [];
  readNetMessages(
    list,
    100_000,
    maxPayload,
    slowRead,
    (d, ts) => (fast.push(d), times.push(ts)),
    (why) => fast.push(`bad: ${why}`),
  );
  const slow: (NetMessageData | string)[] = [];
  const slowTimes: number[] = [];
  for (let i = 0; i < list.length; i++) {
    try {
      slow.push(netMessageFrom(list.get(i), maxPayload));
      slowTimes.push(Number(list.get(i).timestampUs));
    } catch (e) {
      slow.push(`bad: ${(e as Error).message}`);
    }
  }
  expect(times).toEqual(slowTimes);
  return { fast, slow, viaCapnpEs };
}

describe("net message reader", () => {
  it.each([0, 16, 128])("reads a batch as capnp-es does (payload bytes %i)", (maxPayload) => {
    const { fast, slow, viaCapnpEs } = both(batch(1024, maxPayload + 1), maxPayload);
    expect(fast).toHaveLength(1024);
    expect(fast).toEqual(slow);
    expect(viaCapnpEs).toBe(0);
  });

  it("reads a batch spread over many segments (far pointers) as capnp-es does", () => {
    // A message read from a frame has a multi-segment arena, which grows by new segments (of 8 KiB):
    // texts and payloads land in other segments than their pointers, which then are far pointers.
    const frame = new Uint32Array([0, 1, 0, 0]); // one segment of one word: just the root pointer
    const msg = new $.Message(frame.buffer, false);
    const p = msg.initRoot(NetMessageTrace_Messages$Params);
    const list = p._initMessages(300);
    for (let i = 0; i < 300; i++) {
      const m = list.get(i);
      m.peerId = BigInt(i);
      m.peerAddr = `198.51.100.${i % 250}:${8000 + i}`.padEnd(200, "x");
      m.msgType = i % 2 ? "inv" : "ping";
      m.msgSize = BigInt(i);
      m._initPayload(8).copyBuffer(new Uint8Array(8).fill(i & 255));
    }
    const wire = msg.toArrayBuffer();
    expect(new DataView(wire).getUint32(0, true) + 1, "segments").toBeGreaterThan(1);
    const read = new $.Message(wire, false);
    const { fast, slow, viaCapnpEs } = both(read.getRoot(NetMessageTrace_Messages$Params).messages, 8);
    expect(fast).toHaveLength(300);
    expect(fast).toEqual(slow);
    expect(viaCapnpEs, "elements left to capnp-es").toBe(0); // far pointers are read by the fast path
  });

  it("reports a text pointer outside its segment and a peer id beyond 2^53 as bad, and goes on", () => {
    const list = batch(3, 9);
    const content = $.utils.getContent(list);
    const size = $.utils.getTargetCompositeListSize(list);
    const stride = size.dataByteLength + size.pointerLength * 8;
    const view = new DataView(content.segment.buffer);
    // element 0: peer id 2^60; element 1: addr pointer's offset far past the end
    view.setUint32(content.byteOffset + 8 + 4, 0x10000000, true);
    const p1 = content.byteOffset + stride + size.dataByteLength;
    view.setUint32(p1, ((0x0fffff << 2) | 1) >>> 0, true);
    view.setUint32(p1 + 4, (10 << 3) | 2, true);
    const got: string[] = [];
    const n = readNetMessages(
      list,
      10,
      0,
      (m) => netMessageFrom(m, 0),
      (d) => got.push(`ok ${d.peerId}`),
      (why) => got.push(`bad ${why}`),
    );
    expect(n).toBe(3);
    expect(got[0]).toMatch(/^bad bad peer id/);
    expect(got[1]).toMatch(/^bad .*outside its segment/);
    expect(got[2]).toMatch(/^ok /);
  });
});
