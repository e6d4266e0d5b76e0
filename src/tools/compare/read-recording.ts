// Reads recorded events: NDJSON files as `--events` writes them, gunzipped when the name ends in
// .gz. Lines are bounded (decodeEventLine refuses lines over 9 MiB; a longer run without a newline
// is skipped up to the next one, never buffered whole); a line that is not a valid event is counted
// and skipped with its place, so one bad line does not throw the recording away.
import fs from "node:fs";
import { createGunzip } from "node:zlib";
import { decodeEventLine, formatDecodeError, type PeerwatchEvent } from "../../events/index.js";

/** Longer lines are not events: skipped without being held in memory. */
const MAX_LINE_BYTES = 9 * 1024 * 1024;
const MAX_ERRORS_KEPT = 20;

export interface RecordingStats {
  lines: number;
  invalid: number;
  /** The first few problems, with file and line. */
  errors: string[];
}

export async function* readRecording(files: string[], stats: RecordingStats): AsyncGenerator<PeerwatchEvent> {
  for (const file of files) {
    const raw = fs.createReadStream(file);
    const input: NodeJS.ReadableStream = file.endsWith(".gz") ? raw.pipe(createGunzip()) : raw;
    // A read error on the file itself reaches the gunzip stream only if forwarded.
    if (input !== raw) raw.on("error", (e) => (input as NodeJS.ReadWriteStream & { destroy(e: Error): void }).destroy(e));
    let carry = "";
    let skipping = false;
    let lineNo = 0;
    const bad = (why: string, at = lineNo) => {
      stats.invalid++;
      if (stats.errors.length < MAX_ERRORS_KEPT) stats.errors.push(`${file}:${at}: ${why}`);
    };
    const take = function* (line: string): Generator<PeerwatchEvent> {
      lineNo++;
      stats.lines++;
      if (line.trim() === "") return;
      const r = decodeEventLine(line, `${file}:${lineNo}`);
      if (r.ok) yield r.value;
      else bad(formatDecodeError(r.error));
    };
    input.setEncoding("utf8"); // decodes characters split across chunks correctly
    for await (const chunk of input as AsyncIterable<string>) {
      const parts = (carry + chunk).split("\n");
      carry = parts.pop() ?? "";
      for (const line of parts) {
        if (skipping) {
          skipping = false;
          lineNo++;
          continue;
        }
        yield* take(line);
      }
      if (carry.length > MAX_LINE_BYTES) {
        if (!skipping) bad(`line longer than ${MAX_LINE_BYTES} bytes`, lineNo + 1);
        skipping = true;
        carry = "";
      }
    }
    if (!skipping && carry !== "") yield* take(carry);
  }
}
