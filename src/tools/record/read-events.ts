// The events of one or more recordings, in order, for tools that analyse a recording as a whole
// (compare, export). Built on the same reader as replay: gzip and the binary form told by the
// file's first bytes, lines and records bounded, a truncated file reported rather than thrown. A
// line or record that is not a valid event is counted and skipped with its place (line, or record
// and byte offset), so one bad line does not throw the recording away.
import { decodeEventLine, formatDecodeError, MAX_EVENT_LINE_BYTES, type PeerwatchEvent } from "../../events/index.js";
import { openRecording } from "./line-reader.js";

/** The first problems are kept word for word; the rest are only counted. */
const MAX_ERRORS_KEPT = 20;

export interface RecordingStats {
  /** Lines read (NDJSON), events and bad items (binary). */
  lines: number;
  invalid: number;
  /** The first few problems, with file and line. */
  errors: string[];
}

export async function* readRecording(files: string[], stats: RecordingStats, maxLineBytes = MAX_EVENT_LINE_BYTES): AsyncGenerator<PeerwatchEvent> {
  for (const file of files) {
    const bad = (at: number | string, why: string) => {
      stats.invalid++;
      if (stats.errors.length < MAX_ERRORS_KEPT) stats.errors.push(`${file}:${at}: ${why}`);
    };
    for await (const item of openRecording(file, maxLineBytes).lines()) {
      stats.lines++;
      if (item.kind === "event") yield item.value;
      else if (item.kind === "too-long") bad(item.lineNo, `line longer than ${maxLineBytes} bytes`);
      else if (item.kind === "truncated" || item.kind === "bad")
        bad(item.offset === undefined ? item.lineNo : `byte ${item.offset} (record ${item.lineNo})`, item.reason);
      else {
        const r = decodeEventLine(item.text, `${file}:${item.lineNo}`);
        if (r.ok) yield r.value;
        else bad(item.lineNo, formatDecodeError(r.error));
      }
    }
  }
}
