// The record table (src/ebpf/records.ts) is what the program prints and what the parser reads:
// for every row, a line formatted as the row says parses back to the row's event with the values
// put in, and a line with a field too few or too many, or a field of the wrong type, is refused with
// the record and the field named.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { decodeEvent, makeEvent } from "../../src/events/index.js";
import { parseLine } from "../../src/ebpf/line-parser.js";
import { generateProgram } from "../../src/ebpf/program.js";
import { RECORDS, TRACEPOINT_GROUPS, fieldCount, printfOf, minOf, type RecordField, type RecordKind } from "../../src/ebpf/records.js";
import { REPO_ROOT } from "../helpers/capture.js";

const rx = (b: Buffer) => [...b].map((x) => `\\x${x.toString(16).padStart(2, "0")}`).join("");
const cstr = (s: string, n: number) => rx(Buffer.from(s)) + "\\x00".repeat(n - Buffer.byteLength(s));
const PAYLOAD = Buffer.from("0102030405060708", "hex");
const HASH = Buffer.from(Array.from({ length: 32 }, (_, i) => i + 1));

/** A value for each field (its text as bpftrace prints it, and what the parser must make of it). */
function sample(f: RecordField): { text: string; value: unknown } {
  switch (f.type) {
    case "int64":
      // Signed: negative where the row allows it.
      return f.name === "peerId" ? { text: "7", value: 7 } : minOf(f) < 0 ? { text: "-12345", value: -12345 } : { text: "12345", value: 12345 };
    case "uint64":
      return f.name === "size" ? { text: "8", value: 8 } : { text: "9007199254740991", value: Number.MAX_SAFE_INTEGER };
    case "int32":
    case "uint32":
      return { text: "2147483647", value: 2147483647 };
    case "bool":
      return { text: "1", value: true };
    case "network":
      return { text: "3", value: "onion" };
    case "cstring": {
      const s = { addr: "203.0.113.7:8333", connType: "inbound", msgType: "ping" }[f.name] ?? "a reason\twith a tab";
      return { text: cstr(s, f.bytes!), value: s };
    }
    case "hash":
      return { text: rx(HASH), value: Buffer.from(HASH).reverse().toString("hex") };
    case "payload":
      return { text: rx(PAYLOAD), value: PAYLOAD.toString("hex") };
  }
}

/** A line of the row as the program prints it, and the event data the parser must make of it. */
function lineOf(r: RecordKind, payloadBytes: number): { fields: string[]; data: Record<string, unknown> } {
  const fields = [r.code, ...(r.tag === undefined ? [] : [r.tag])];
  const data: Record<string, unknown> = { ...r.fixed };
  for (const f of r.fields) {
    if (f.type === "payload" && payloadBytes === 0) continue;
    const s = sample(f);
    fields.push(s.text);
    data[f.name] = s.value;
  }
  for (const k of r.unread ?? []) data[k] = null;
  if (r.event === "net.message" && payloadBytes > 0) Object.assign(data, { truncated: false, decoded: { nonce: PAYLOAD.toString("hex") } });
  return { fields, data };
}

const rows = RECORDS.map((r) => [`${r.code}${r.tag ? ` ${r.tag}` : ""} (${r.tracepoint})`, r] as const);

describe("the record table", () => {
  it("has one row per tracepoint, within bpftrace's arguments, and one line layout per code", () => {
    expect(new Set(RECORDS.map((r) => r.tracepoint)).size).toBe(RECORDS.length);
    for (const r of RECORDS) {
      expect(r.code).toMatch(/^[A-Z]$/);
      for (const f of r.fields) expect(f.arg).toBeLessThanOrEqual(5);
      for (const f of r.fields) if (f.type === "cstring") expect(f.bytes).toBeGreaterThan(0);
      const same = RECORDS.filter((o) => o.code === r.code);
      for (const o of same) expect([o.what, fieldCount(o, 64), o.tag === undefined]).toEqual([r.what, fieldCount(r, 64), r.tag === undefined]);
    }
  });

  it.each(rows)("%s: a line formatted as the row says parses back to the row's event, and the event is valid", (_name, r) => {
    for (const payloadBytes of r.event === "net.message" ? [0, 64] : [64]) {
      const { fields, data } = lineOf(r, payloadBytes);
      expect(fields.length).toBe(fieldCount(r, payloadBytes));
      const parsed = parseLine(fields.join("\t"), payloadBytes);
      expect(parsed).toEqual({ kind: "event", type: r.event, data });
      // The event's keys come in the row's order: the tag's, the fields', then the unread ones.
      if (parsed.kind === "event" && r.event !== "net.message") expect(Object.keys(parsed.data)).toEqual(Object.keys(data));
      if (parsed.kind === "event") expect(decodeEvent(makeEvent("ebpf", "n", parsed.type, parsed.data)).ok).toBe(true);
    }
  });

  it.each(rows)("%s: a line with a field too few or too many is refused, saying which record and how many", (_name, r) => {
    const { fields } = lineOf(r, 64);
    for (const wrong of [fields.slice(0, -1), [...fields, "1"]]) {
      const parsed = parseLine(wrong.join("\t"), 64);
      expect(parsed).toEqual({ kind: "invalid", why: `${r.code} record: ${r.what} record has ${wrong.length} fields, expected ${fields.length} (cut line?)` });
    }
  });

  it.each(rows)("%s: a field of the wrong type is refused, naming the field", (_name, r) => {
    const { fields } = lineOf(r, 64);
    const first = r.tag === undefined ? 1 : 2;
    r.fields.forEach((f, i) => {
      // Text for a number, or one below its bound; a number for a buffer, or one byte too many.
      const bad = /int|bool|network/.test(f.type)
        ? ["x", "1.5", "", ...(minOf(f) === 0 ? ["-1"] : [])]
        : ["12", "\\x4", f.type === "cstring" ? cstr("", f.bytes! + 1) : rx(Buffer.alloc(33))];
      for (const text of bad) {
        const line = fields.map((v, k) => (k === first + i ? text : v)).join("\t");
        const parsed = parseLine(line, 64);
        expect(parsed.kind, `${f.name} = ${JSON.stringify(text)}`).toBe("invalid");
        if (parsed.kind === "invalid") {
          expect(parsed.why.startsWith(`${r.code} record: `)).toBe(true);
          expect(parsed.why).toContain(f.label);
        }
      }
    });
    if (r.tag !== undefined) {
      const parsed = parseLine([r.code, "q", ...fields.slice(2)].join("\t"), 64);
      expect(parsed.kind).toBe("invalid");
    }
  });

  it("is what the program prints: each row's printf is in the program of its group, one probe per row (messages: per capture size)", () => {
    for (const g of TRACEPOINT_GROUPS) {
      const program = generateProgram({ binary: "/b", groups: [g], payloadBytes: 0 });
      for (const r of RECORDS) {
        expect(program.includes(`usdt:/b:${r.tracepoint} `)).toBe(r.group === g);
        if (r.group === g) expect(program).toContain(printfOf(r, 0));
      }
    }
  });

  it("prints the program it printed before the table (golden text: all groups, 64 payload bytes)", () => {
    const golden = fs.readFileSync(path.join(REPO_ROOT, "test/ebpf/recorded/program-all-64.bt"), "utf8");
    expect(generateProgram({ binary: "/opt/bitcoin-node", groups: TRACEPOINT_GROUPS, payloadBytes: 64 })).toBe(golden);
  });
});
