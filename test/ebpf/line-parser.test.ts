// The bpftrace output parser, on recorded output of real bpftrace runs and on broken input.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { decodeEvent, makeEvent } from "../../src/events/index.js";
import { parseLine } from "../../src/ebpf/line-parser.js";
import { EbpfProgramError, generateProgram } from "../../src/ebpf/program.js";
import { REPO_ROOT, captureFile } from "../helpers/capture.js";
import { FIXTURE_EVENTS } from "./fixture-expected.js";

const recorded = fs.readFileSync(path.join(REPO_ROOT, "test/ebpf/recorded/fixture-all.txt"), "utf8").split("\n").filter(Boolean);

describe("bpftrace line parser on recorded output", () => {
  it("turns the fixture run into exactly the expected events, every field", () => {
    const parsed = recorded.map((l) => parseLine(l, 64));
    expect(parsed[0]).toEqual({ kind: "attaching", probes: 18 });
    expect(parsed[1]).toEqual({ kind: "ready" });
    const events = parsed.filter((p) => p.kind === "event").map((p) => (p.kind === "event" ? { type: p.type, data: p.data } : null));
    expect(events).toEqual(FIXTURE_EVENTS);
    // and each is a valid event of the model
    for (const e of events) expect(decodeEvent(makeEvent("ebpf", "n", e!.type as never, e!.data as never)).ok).toBe(true);
  });

  it("parses the real regtest session's messages (converted to this program's format)", () => {
    const hex = (s: string) => [...Buffer.from(s)].map((b) => `\\x${b.toString(16).padStart(2, "0")}`).join("");
    const pad = (s: string, n: number) => hex(s) + "\\x00".repeat(n - Buffer.byteLength(s));
    const lines = fs
      .readFileSync(captureFile("bpftrace.tsv"), "utf8")
      .split("\n")
      .map((l) => l.split("\t"))
      .filter((f) => f[0] === "msg");
    expect(lines.length).toBeGreaterThan(100);
    let pings = 0;
    for (const f of lines) {
      const ours = ["M", f[1] === "in" ? "i" : "o", f[2], pad(f[3]!, 68), pad(f[4]!, 20), pad(f[5]!, 20), f[6], f[7]].join("\t");
      const r = parseLine(ours, 64);
      expect(r.kind, ours.slice(0, 80)).toBe("event");
      if (r.kind !== "event") continue;
      const d = r.data as { msgType: string; size: number; truncated: boolean; payloadHex: string; decoded?: { nonce?: string } };
      expect(d.msgType).toBe(f[5]);
      expect(d.size).toBe(Number(f[6]));
      expect(d.truncated).toBe(d.payloadHex.length / 2 < d.size);
      if (d.msgType === "ping") {
        pings++;
        expect(d.decoded?.nonce).toBe(d.payloadHex);
      }
      if (d.msgType === "version") expect(r.data).toMatchObject({ truncated: true, decoded: { version: { version: 70017, services: "0000000000000c09" } } });
    }
    expect(pings).toBeGreaterThan(0);
  });

  it("counts bpftrace's loss reports", () => {
    expect(parseLine("Lost 1234 events", 64)).toEqual({ kind: "lost", count: 1234 });
    expect(parseLine("Lost 99999999999999999999 events", 64)).toEqual({ kind: "lost", count: Number.MAX_SAFE_INTEGER, saturated: true });
  });

  it.each([
    ["a cut message line", recorded[2]!.slice(0, 200)],
    ["a cut hash", recorded.find((l) => l.startsWith("A\t"))!.slice(0, 60)],
    [
      "a missing field",
      recorded
        .find((l) => l.startsWith("B\t"))!
        .split("\t")
        .slice(0, 6)
        .join("\t"),
    ],
    ["a bad direction", recorded[2]!.replace(/^M\ti/, "M\tx")],
    ["a non-number", recorded.find((l) => l.startsWith("F\t"))!.replace("1500", "15x0")],
    ["an unknown network", recorded.find((l) => l.startsWith("C\tinbound"))!.replace(/\t3\t9$/, "\t99\t9")],
    ["a payload longer than the size", recorded[2]!.replace(/\t8\t/, "\t2\t")],
    ["an oversized line", "M\t" + "x".repeat(5000)],
    ["a bad escape", recorded.find((l) => l.startsWith("A\t"))!.replace("\\x01", "\\y01")],
    ["a non-ASCII character whose low byte is a backslash", recorded.find((l) => l.startsWith("A\t"))!.replace("\\x01", "\u015cx01")],
    ["an upper-case hex digit", recorded.find((l) => l.startsWith("A\t"))!.replace("\\x0a", "\\x0A")],
    ["a huge integer", recorded.find((l) => l.startsWith("F\t"))!.replace("12345", "99999999999999999999")],
  ])("rejects %s as an invalid record, without throwing", (_what, line) => {
    const r = parseLine(line, 64);
    expect(r.kind).toBe("invalid");
    if (r.kind === "invalid") expect(r.why.length).toBeGreaterThan(5);
  });

  it.each(["", "hello", "ERROR: something", "open(/sys/kernel/tracing/uprobe_events): No such file or directory", "\u0000\u0001garbage"])(
    "treats %j as unexpected output, not an event",
    (line) => expect(parseLine(line, 64).kind).toBe("unexpected"),
  );

  it("reads a C string up to its NUL and ignores the node's memory after it, but not a field of the wrong length", () => {
    const hex = (s: string) => [...Buffer.from(s)].map((b) => `\\x${b.toString(16).padStart(2, "0")}`).join("");
    const msg = recorded[2]!.split("\t");
    const addr = (tail: string) => [...msg.slice(0, 3), tail, ...msg.slice(4)].join("\t");
    // After the terminator: bytes of an older, longer address, as a reused buffer holds them.
    const garbage = hex("10.0.0.1:8333") + "\\x00" + hex("[2001:db8::1]:8333").slice(0, 4 * 20) + "\\x00".repeat(68 - 14 - 20);
    expect(parseLine(addr(garbage), 64)).toMatchObject({ kind: "event", data: { addr: "10.0.0.1:8333" } });
    expect(parseLine(addr(hex("10.0.0.1:8333") + "\\x00".repeat(55)), 64)).toMatchObject({ kind: "event", data: { addr: "10.0.0.1:8333" } });
    expect(parseLine(addr("\\x00".repeat(68)), 64)).toMatchObject({ kind: "event", data: { addr: "" } });
    // Too long, a cut escape, or a NUL that is not at an escape's start: refused, never read past.
    expect(parseLine(addr(hex("10.0.0.1:8333") + "\\x00".repeat(56)), 64).kind).toBe("invalid");
    expect(parseLine(addr(hex("10.0.0.1:8333") + "\\x00".repeat(54) + "\\x0"), 64).kind).toBe("invalid");
    expect(parseLine(addr("x" + hex("10.0.0.1:8333") + "\\x00".repeat(54) + "\\x0"), 64).kind).toBe("invalid");
  });

  it("gives the payload's hex for every message type and decodes the types the decoder reads", () => {
    const hex = (b: Buffer) => [...b].map((x) => `\\x${x.toString(16).padStart(2, "0")}`).join("");
    const short = (s: string) => [...Buffer.from(s)].map((b) => `\\x${b.toString(16).padStart(2, "0")}`).join("") + "\\x00".repeat(20 - s.length);
    const msg = recorded[2]!.split("\t"); // a ping
    const payload = Buffer.from("0102030405060708", "hex");
    const line = (type: string) => [...msg.slice(0, 5), short(type), "8", hex(payload)].join("\t");
    for (const type of ["ping", "pong", "block", "tx", "headers", "foo"]) {
      const r = parseLine(line(type), 64);
      expect(r).toMatchObject({ kind: "event", data: { msgType: type, payloadHex: "0102030405060708", truncated: false } });
      if (type === "ping" || type === "pong") expect(r).toMatchObject({ data: { decoded: { nonce: "0102030405060708" } } });
      else expect(r).not.toHaveProperty("data.decoded");
    }
  });

  it.each([
    ["0", 0],
    ["-5", -5],
    ["9007199254740991", Number.MAX_SAFE_INTEGER],
  ])("reads the integer %s", (text, n) => {
    const line = recorded.find((l) => l.startsWith("F\t"))!.split("\t");
    line[1] = text;
    const r = parseLine(line.join("\t"), 64);
    if (n < 0)
      expect(r.kind).toBe("invalid"); // a duration is never negative
    else expect(r).toMatchObject({ kind: "event", data: { durationUs: n } });
  });

  it.each(["", "-", "+1", "1.5", "1e3", " 1", "9007199254740992", "123456789012345678901"])("refuses %j as an integer field", (text) => {
    const line = recorded.find((l) => l.startsWith("F\t"))!.split("\t");
    line[1] = text;
    expect(parseLine(line.join("\t"), 64).kind).toBe("invalid");
  });

  it("reads a program without payload capture", () => {
    const noPayload = recorded[2]!.split("\t").slice(0, 7).join("\t");
    expect(parseLine(noPayload, 0)).toMatchObject({ kind: "event", data: { msgType: "ping", size: 8 } });
    expect(parseLine(noPayload, 0)).not.toHaveProperty("data.payloadHex");
  });
});

describe("bpftrace program", () => {
  it("prints every string and buffer with %rx and stays within bpftrace's argument limit", () => {
    const p = generateProgram({ binary: "/opt/bitcoin-node", groups: ["net", "connections", "mempool", "validation", "utxocache"], payloadBytes: 64 });
    expect(p).not.toMatch(/%s/);
    expect(p).not.toMatch(/\barg[6-9]\b/);
    for (const tp of [
      "net:inbound_message",
      "net:outbound_message",
      "net:inbound_connection",
      "net:outbound_connection",
      "net:closed_connection",
      "net:evicted_inbound_connection",
      "net:misbehaving_connection",
      "mempool:added",
      "mempool:removed",
      "mempool:replaced",
      "mempool:rejected",
      "validation:block_connected",
      "utxocache:add",
      "utxocache:spent",
      "utxocache:uncache",
      "utxocache:flush",
    ]) {
      expect(p).toContain(`usdt:/opt/bitcoin-node:${tp} `);
    }
  });

  it("gives version messages probes of their own with a wider buffer, chosen by the type's first 8 bytes", () => {
    const p = generateProgram({ binary: "/b", groups: ["net"], payloadBytes: 64 });
    // "version" and its NUL, little-endian: 0x006e6f6973726576.
    expect(p).toContain("usdt:/b:net:inbound_message / *(uint64 *)uptr(arg3) == 0x6e6f6973726576 / { $n = arg4; if ($n > 160) { $n = 160; }");
    expect(p).toContain("usdt:/b:net:outbound_message / *(uint64 *)uptr(arg3) != 0x6e6f6973726576 / { $n = arg4; if ($n > 64) { $n = 64; }");
    expect(generateProgram({ binary: "/b", groups: ["net"], payloadBytes: 0 })).not.toContain("uptr");
  });

  it("leaves utxocache out unless asked, and refuses bad options", () => {
    expect(generateProgram({ binary: "/b", groups: ["net"], payloadBytes: 0 })).not.toContain("utxocache");
    expect(() => generateProgram({ binary: "/b", groups: ["net"], payloadBytes: 129 })).toThrow(EbpfProgramError);
    expect(() => generateProgram({ binary: '/b"; system("x', groups: ["net"], payloadBytes: 0 })).toThrow(/unusable binary path/);
    expect(() => generateProgram({ binary: "/b", groups: [], payloadBytes: 0 })).toThrow(/no tracepoint group/);
  });
});
