// The recording line reader against a plain split of the same text: lines inside one read chunk,
// lines across chunk boundaries (the reader reads 256 KiB at a time), CRLF, blank lines, lines over
// the limit, plain and gzip.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { openRecording, type FileLine } from "../../../src/tools/record/line-reader.js";

function expected(text: string, max: number): FileLine[] {
  const parts = text.split("\n");
  if (parts.at(-1) === "") parts.pop();
  const out: FileLine[] = [];
  parts.forEach((p, i) => {
    const bytes = Buffer.byteLength(p);
    if (bytes > max) out.push({ kind: "too-long", lineNo: i + 1, bytes });
    else if (bytes > 0) out.push({ kind: "line", lineNo: i + 1, text: p.replace(/\r$/, "") });
  });
  return out;
}

describe("recording line reader", () => {
  it.each([false, true])("reads every line as a plain split does, across chunk boundaries (gzip: %s)", async (gzip) => {
    let seed = 3;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const lines: string[] = [];
    let size = 0;
    while (size < 1_200_000) {
      const len = rand(10) === 0 ? 3000 + rand(3000) : rand(400); // some over the 2,500-byte limit
      const l = "x".repeat(len) + (rand(5) === 0 ? "é\r" : "") + (rand(50) === 0 ? "" : String(lines.length));
      lines.push(l);
      size += l.length + 1;
    }
    const text = lines.join("\n") + (rand(2) ? "\n" : "");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-lines-"));
    const file = path.join(dir, gzip ? "r.ndjson.gz" : "r.ndjson");
    fs.writeFileSync(file, gzip ? zlib.gzipSync(text) : text);
    const got: FileLine[] = [];
    for await (const l of openRecording(file, 2500).lines()) got.push(l);
    const want = expected(text, 2500);
    expect(got.length).toBe(want.length);
    expect(got).toEqual(want);
    expect(want.filter((l) => l.kind === "too-long").length).toBeGreaterThan(10);
    let batches = 0;
    for await (const b of openRecording(file, 2500).batches()) batches += b.length > 0 ? 1 : 0;
    expect(batches).toBeGreaterThan(1); // read in chunks, not line by line nor all at once
    expect(batches).toBeLessThan(want.length / 10);
  });
});
