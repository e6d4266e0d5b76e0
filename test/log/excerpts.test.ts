// Every line kind, from test/fixtures/log/excerpts.json (real lines and lines written from Bitcoin
// Core's format strings), and the prefix variants Bitcoin Core's logger can produce.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { LINE_KINDS, LogParser } from "../../src/log/line-kinds.js";
import { parseLinePrefix, ThreadNameMode } from "../../src/log/line-prefix.js";
import { REPO_ROOT } from "../helpers/capture.js";

interface Entry {
  kind: string;
  origin: string;
  line: string;
  events: { type: string; data: unknown }[];
}
const fixture = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "test/fixtures/log/excerpts.json"), "utf8")) as { chain: string; entries: Entry[] };

describe("log line kinds (test/fixtures/log/excerpts.json)", () => {
  it("has an excerpt for every kind the parser knows, each marked real or written", () => {
    const kinds = new Set(fixture.entries.map((e) => e.kind));
    expect([...LINE_KINDS].filter((k) => !kinds.has(k))).toEqual([]);
    for (const e of fixture.entries) expect(e.origin).toMatch(/^(real: |written from )/);
  });

  const parser = new LogParser(fixture.chain);
  for (const e of fixture.entries) {
    it(`${e.kind}: ${e.line.slice(0, 90)}`, () => {
      const r = parser.parse(e.line);
      expect(r.kind).toBe(e.kind);
      expect(r.facts).toEqual(e.events);
    });
  }

  it("leaves look-alikes alone", () => {
    const p = new LogParser();
    for (const l of [
      "2026-11-23T21:47:57.441000Z [scheduler] [validation] Enqueuing BlockConnected: block " +
        "hash=7763414cb143d7a678e317880d6295fd8350520497058a5b195425a8599863d8 block height=1",
      "2026-11-23T21:47:57Z UpdateTip: new best=nothex height=1",
      "2026-11-23T21:47:57Z [net] New inbound peer connected: transport: v3, version: 1, peer=0",
      "2026-11-23T21:47:57Z [net] Misbehaving: peer=-1",
      "garbage \u0000\u0001 with no prefix at all",
      "",
    ]) {
      expect(p.parse(l).kind, l).toBeUndefined();
    }
  });
});

describe("line prefix", () => {
  const parse = (l: string, threads?: boolean) => {
    const m = new ThreadNameMode();
    m.threadNames = threads;
    return parseLinePrefix(l, m);
  };

  it("reads seconds-only and microsecond timestamps, and mocktime", () => {
    expect(parse("2026-11-23T21:47:49Z hello")).toEqual({
      tsUs: Date.UTC(2026, 10, 23, 21, 47, 49) * 1000,
      thread: undefined,
      category: undefined,
      level: "info",
      message: "hello",
    });
    expect(parse("2026-11-23T21:47:49.000007Z hello").tsUs).toBe(Date.UTC(2026, 10, 23, 21, 47, 49) * 1000 + 7);
    expect(parse("2026-11-23T21:47:49Z (mocktime: 2020-01-01T00:00:00Z) [net] hi")).toMatchObject({ category: "net", message: "hi" });
  });

  it("tells thread names from categories and levels", () => {
    expect(parse("2026-11-23T21:47:49Z [net] Added connection peer=0")).toMatchObject({ thread: undefined, category: "net", level: "debug" });
    expect(parse("2026-11-23T21:47:49Z [net] [net] Added connection peer=0")).toMatchObject({ thread: "net", category: "net" });
    expect(parse("2026-11-23T21:47:49Z [net] Added connection peer=0", true)).toMatchObject({ thread: "net", category: undefined });
    expect(parse("2026-11-23T21:47:49Z [msghand] [net:info] x")).toMatchObject({ thread: "msghand", category: "net", level: "info" });
    expect(parse("2026-11-23T21:47:49Z [warning] x")).toMatchObject({ thread: undefined, category: undefined, level: "warning" });
    expect(parse("2026-11-23T21:47:49Z [init] [net.cpp:1881] [AcceptConnection] [net] connection from 1.2.3.4:5 accepted")).toMatchObject({
      thread: "init",
      category: "net",
      message: "connection from 1.2.3.4:5 accepted",
    });
    expect(parse("no timestamp at all [net] x")).toMatchObject({ tsUs: undefined, message: "no timestamp at all [net] x" });
  });

  it("learns that thread names are on from the file itself", () => {
    const m = new ThreadNameMode();
    parseLinePrefix("2026-11-23T21:47:49Z [init] Bitcoin Core version v31.99.0", m);
    expect(m.threadNames).toBe(true);
    const off = new ThreadNameMode();
    parseLinePrefix("2026-11-23T21:47:49Z [mempool] Checking mempool with 0 transactions and 0 inputs", off);
    expect(off.threadNames).toBe(false);
  });
});

describe("docs/log.md", () => {
  it("lists every line kind the parser knows", () => {
    const doc = fs.readFileSync(path.join(REPO_ROOT, "docs/log.md"), "utf8");
    expect(LINE_KINDS.filter((k) => !doc.includes(`| \`${k}\` |`))).toEqual([]);
  });
});

describe("mutated lines", () => {
  it("never throw and only ever give valid events (10,000 random mutations of the excerpts)", async () => {
    const { decodeEvent, makeEvent } = await import("../../src/events/index.js");
    let seed = 42;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const alphabet = "0123456789.:-=()[], abcdefxyzAZ\u0000\u00ff\uffff";
    const p = new LogParser("regtest");
    let facts = 0;
    for (let i = 0; i < 10_000; i++) {
      const base = fixture.entries[rnd(fixture.entries.length)]!.line;
      const chars = [...base];
      for (let k = 0, n = 1 + rnd(4); k < n; k++) {
        const at = rnd(chars.length + 1);
        const op = rnd(3);
        const c = alphabet[rnd(alphabet.length)]!;
        if (op === 0) chars.splice(at, 1, c);
        else if (op === 1) chars.splice(at, 0, c.repeat(1 + rnd(20)));
        else chars.splice(at, 1);
      }
      const r = p.parse(chars.join(""));
      for (const f of r.facts) {
        facts++;
        const d = decodeEvent(makeEvent("log", "n", f.type, f.data as never));
        expect(d.ok, `${chars.join("")} → ${JSON.stringify(f)}`).toBe(true);
      }
    }
    expect(facts).toBeGreaterThan(1000);
  });
});
