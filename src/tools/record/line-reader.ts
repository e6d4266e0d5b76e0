// Reads a recording: NDJSON line by line, or the binary form record by record (binary-format.ts);
// plain or gzip. Both are told by the file's first bytes (gzip's magic, then PWB1 in what it holds),
// so rotated `file.gz.1` is read right too. Lines and records are bounded in length; a truncated or
// corrupt file is reported as the end of the file rather than thrown. Counts bytes of the file
// read, for progress.
import fs from "node:fs";
import zlib from "node:zlib";
import type { Readable } from "node:stream";
import { MAX_EVENT_LINE_BYTES, type PeerwatchEvent } from "../../events/index.js";
import { RecordReader, startsBinary, type RecordItem } from "./binary-format.js";

export type FileLine =
  | { kind: "line"; lineNo: number; text: string }
  /** A line longer than the limit: its text is not kept. */
  | { kind: "too-long"; lineNo: number; bytes: number }
  /** The file ended in the middle of its gzip stream or of a binary record, or the stream was corrupt. `offset`: binary only. */
  | { kind: "truncated"; lineNo: number; reason: string; offset?: number }
  /** Binary recordings: an event already decoded and checked against the model. */
  | { kind: "event"; value: PeerwatchEvent }
  /** Binary recordings: a record (number `lineNo`, at byte `offset`), or an event in one, that is not valid. */
  | { kind: "bad"; lineNo: number; offset: number; reason: string };

export interface LineSource {
  /** Size of the file on disk. */
  readonly size: number;
  /** Bytes of the file read so far (compressed bytes for gzip). */
  readonly bytesRead: number;
  /** Known once reading began: the binary form (PWB1) or NDJSON. */
  readonly binary: boolean | undefined;
  lines(): AsyncGenerator<FileLine>;
  /** The same lines, a chunk of the file's at a time (one await per chunk, not per line: replay's hot path). */
  batches(): AsyncGenerator<FileLine[]>;
}

const GZIP_MAGIC = [0x1f, 0x8b];

export function isGzipFile(file: string): boolean {
  const fd = fs.openSync(file, "r");
  try {
    const b = Buffer.alloc(2);
    return fs.readSync(fd, b, 0, 2, 0) === 2 && b[0] === GZIP_MAGIC[0] && b[1] === GZIP_MAGIC[1];
  } finally {
    fs.closeSync(fd);
  }
}

/** Opens a recording. A file that cannot be read yields one "truncated" item saying why. */
export function openRecording(file: string, maxLineBytes = MAX_EVENT_LINE_BYTES): LineSource {
  let size = 0;
  let gzip = false;
  try {
    size = fs.statSync(file).size;
    gzip = size >= 2 && isGzipFile(file);
  } catch {
    // reported by lines(): the read fails with the OS reason
  }
  let bytesRead = 0;
  let binary: boolean | undefined;
  return {
    size,
    get bytesRead() {
      return bytesRead;
    },
    get binary() {
      return binary;
    },
    async *lines() {
      for await (const batch of this.batches()) yield* batch;
    },
    async *batches() {
      const raw = fs.createReadStream(file, { highWaterMark: 256 * 1024 });
      raw.on("data", (c) => (bytesRead += c.length));
      let input: Readable = raw;
      if (gzip) {
        const gunzip = zlib.createGunzip();
        raw.on("error", (e) => gunzip.destroy(e));
        input = raw.pipe(gunzip);
      }
      // The first chunk says which form it is; the same iterator then goes on from it.
      const chunks = (input as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
      let first: IteratorResult<Buffer>;
      try {
        first = await chunks.next();
      } catch (e) {
        yield [truncated(e, 1)];
        return;
      }
      if (first.done) return;
      binary = startsBinary(first.value);
      const rest: AsyncIterable<Buffer> = {
        [Symbol.asyncIterator]: () => ({
          next: async () => {
            if (first.done) return chunks.next();
            const r = first;
            first = { done: true, value: undefined };
            return r;
          },
          return: async () => {
            await chunks.return?.();
            return { done: true, value: undefined };
          },
        }),
      };
      if (binary) yield* readRecords(rest);
      else yield* splitLines(rest, maxLineBytes);
    },
  };
}

/** A read that failed: a truncated or corrupt gzip stream, or the OS's reason. */
function truncated(e: unknown, lineNo: number, offset?: number): FileLine {
  const err = e as NodeJS.ErrnoException;
  const reason =
    err.code === "Z_BUF_ERROR" || /unexpected end/i.test(err.message) ? "the gzip stream ends early (truncated file)" : `read failed: ${err.message}`;
  return offset === undefined ? { kind: "truncated", lineNo, reason } : { kind: "truncated", lineNo, reason, offset };
}

function fromRecordItem(item: RecordItem): FileLine {
  if (item.kind === "event") return item;
  return { kind: item.kind, lineNo: item.record, offset: item.offset, reason: item.reason };
}

/** The events of a binary recording, a chunk's records at a time. */
async function* readRecords(input: AsyncIterable<Buffer>): AsyncGenerator<FileLine[]> {
  const reader = new RecordReader();
  const items: RecordItem[] = [];
  let bytes = 0;
  try {
    for await (const chunk of input) {
      bytes += chunk.length;
      reader.push(chunk, items);
      if (items.length > 0) yield items.splice(0).map(fromRecordItem);
    }
  } catch (e) {
    yield [...items.splice(0).map(fromRecordItem), truncated(e, reader.recordsRead + 1, bytes)];
    return;
  }
  reader.end(items);
  if (items.length > 0) yield items.map(fromRecordItem);
}

/** A line's text without a trailing carriage return. */
function text(b: Buffer, start: number, end: number): string {
  return b.toString("utf8", start, end > start && b[end - 1] === 0x0d ? end - 1 : end);
}

/** The text of a line held in pieces (it crossed chunks). */
function joined(parts: Buffer[], bytes: number): string {
  const whole = Buffer.concat(parts, bytes);
  return text(whole, 0, whole.length);
}

async function* splitLines(input: AsyncIterable<Buffer>, maxLineBytes: number): AsyncGenerator<FileLine[]> {
  let parts: Buffer[] = [];
  let held = 0;
  let skipping = false; // inside a line that is already too long: drop bytes until its newline
  let lineNo = 0;
  try {
    for await (const chunk of input) {
      const batch: FileLine[] = [];
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(0x0a, start);
        if (nl !== -1 && held === 0 && !skipping) {
          // The whole line is in this chunk (the usual case): read in place, no copy.
          lineNo++;
          const n = nl - start;
          if (n > maxLineBytes) batch.push({ kind: "too-long", lineNo, bytes: n });
          else if (n > 0) batch.push({ kind: "line", lineNo, text: text(chunk, start, nl) });
          start = nl + 1;
          continue;
        }
        const end = nl === -1 ? chunk.length : nl;
        if (!skipping) {
          if (held + (end - start) > maxLineBytes) {
            skipping = true;
            held += end - start;
            parts = [];
          } else if (end > start) {
            parts.push(chunk.subarray(start, end));
            held += end - start;
          }
        } else held += end - start;
        if (nl === -1) break;
        lineNo++;
        if (skipping) batch.push({ kind: "too-long", lineNo, bytes: held });
        else if (held > 0) batch.push({ kind: "line", lineNo, text: joined(parts, held) });
        parts = [];
        held = 0;
        skipping = false;
        start = nl + 1;
      }
      if (batch.length > 0) yield batch;
    }
  } catch (e) {
    yield [truncated(e, lineNo + 1)];
    return;
  }
  // A last line without a newline still counts.
  if (skipping) yield [{ kind: "too-long", lineNo: lineNo + 1, bytes: held }];
  else if (held > 0) yield [{ kind: "line", lineNo: lineNo + 1, text: joined(parts, held) }];
}
