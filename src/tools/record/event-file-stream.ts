// The file a recording is written to: gzip when the name ends in `.gz`, and rotation when a size
// limit is set (`file` → `file.1` → `file.2` …, newest first, at most ROTATE_KEEP old files kept).
// It is a plain Writable, so the NDJSON writer's backpressure handling works unchanged. Writes are
// whole lines (often a batch of them); a plain file is cut after a line, so no line is ever split.
// A binary recording (`header` set) gets its header at the start of every file it opens (a new one
// after rotation, or appended to an existing one); its writes are whole records, and a plain file
// is cut after the record that reaches the limit: no record is ever split either.
import fs from "node:fs";
import { once } from "node:events";
import { Writable } from "node:stream";
import zlib from "node:zlib";

/** Old files kept by rotation besides the current one. */
export const ROTATE_KEEP = 5;
/** Smallest rotation size accepted: below this, rotation would churn every few events. */
export const MIN_ROTATE_BYTES = 4096;

export interface EventFileOptions {
  /** Rotate once the file on disk has reached this many bytes (for `.gz`: compressed bytes, which zlib
   *  hands out in chunks of up to 16 KiB, so a gzip file may pass the limit by that much). */
  maxBytes?: number;
  /** Old files kept (default ROTATE_KEEP). */
  keep?: number;
  /** Binary recordings: written first in every file opened; writes are then cut only between them. */
  header?: Buffer;
}

export function isGzipName(file: string): boolean {
  return file.endsWith(".gz");
}

/** Opens a recording for appending. Plain files append to what is there; a gzip file gets a new member. */
export function openEventFile(file: string, options: EventFileOptions = {}): Writable {
  return new EventFileStream(file, options);
}

class EventFileStream extends Writable {
  private out!: fs.WriteStream;
  private gzip: zlib.Gzip | undefined;
  /** Bytes on disk in the current file (what was there, plus what we wrote). */
  private bytes = 0;
  private readonly keep: number;

  constructor(
    private readonly file: string,
    private readonly options: EventFileOptions,
  ) {
    super({ decodeStrings: true });
    this.keep = Math.max(1, options.keep ?? ROTATE_KEEP);
    this.open();
  }

  private open(): void {
    try {
      this.bytes = fs.statSync(this.file).size;
    } catch {
      this.bytes = 0;
    }
    this.out = fs.createWriteStream(this.file, { flags: "a" });
    this.out.on("error", (err) => this.destroy(err));
    if (isGzipName(this.file)) {
      this.gzip = zlib.createGzip();
      // Count what really reaches the file, so the size limit is about the disk.
      this.gzip.on("data", (c: Buffer) => (this.bytes += c.length));
      this.gzip.on("error", (err) => this.destroy(err));
      this.gzip.pipe(this.out);
    }
    const header = this.options.header;
    if (header) {
      if (!this.gzip) this.bytes += header.length;
      (this.gzip ?? this.out).write(header);
    }
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.writeRotating(chunk).then(
      () => cb(),
      (err: Error) => cb(err),
    );
  }

  /**
   * Writes a chunk of whole lines. The NDJSON writer hands over batches of many lines, so a plain
   * file is cut inside the batch, after the line that reaches the limit: each file ends on a whole
   * line and holds about `maxBytes`. (A gzip file's size is only known after compression, so it
   * rotates between writes.)
   */
  private async writeRotating(chunk: Buffer): Promise<void> {
    const max = this.options.maxBytes;
    let rest = chunk;
    while (rest.length > 0) {
      if (max !== undefined && this.bytes >= max) await this.rotate();
      let piece = rest;
      if (max !== undefined && !this.gzip) {
        if (this.options.header) {
          // Binary: whole records (u32le body length, kind, body), cut after the one that reaches the limit.
          let end = 0;
          while (end + 4 <= rest.length && this.bytes + end < max) end += 5 + rest.readUInt32LE(end);
          if (end > 0 && end < rest.length) piece = rest.subarray(0, end);
        } else {
          const nl = rest.indexOf(10, Math.max(0, max - this.bytes - 1));
          if (nl >= 0) piece = rest.subarray(0, nl + 1);
        }
      }
      rest = rest.subarray(piece.length);
      const target = this.gzip ?? this.out;
      if (!this.gzip) this.bytes += piece.length;
      // Wait for the write itself, not only for room: a failed write (disk full) then fails this
      // chunk's callback, and the NDJSON writer counts its events as lost instead of none.
      await new Promise<void>((resolve, reject) => target.write(piece, (err) => (err ? reject(err) : resolve())));
    }
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.closeCurrent().then(
      () => cb(),
      (err: Error) => cb(err),
    );
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.gzip?.destroy();
    this.out.destroy();
    cb(err);
  }

  private async closeCurrent(): Promise<void> {
    const finished = once(this.out, "close");
    if (this.gzip) this.gzip.end();
    else this.out.end();
    await finished;
  }

  private async rotate(): Promise<void> {
    await this.closeCurrent();
    // file.(keep) falls off the end; the rest move up one; file becomes file.1.
    fs.rmSync(`${this.file}.${this.keep}`, { force: true });
    for (let i = this.keep - 1; i >= 1; i--) {
      if (fs.existsSync(`${this.file}.${i}`)) fs.renameSync(`${this.file}.${i}`, `${this.file}.${i + 1}`);
    }
    fs.renameSync(this.file, `${this.file}.1`);
    this.open();
  }
}
