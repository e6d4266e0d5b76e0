// `peerwatch export <file…>`: the NDJSON lines a live run would have written, from recordings in
// either form (binary `.pwb`/`.pwb.gz` or NDJSON, plain or gzip, told by their first bytes), to
// stdout or --out. Every event is read through the same bounded, checked reader as replay and
// compare (src/tools/record/read-events.ts); a bad record or line is told on stderr with its place
// and counted, the rest is exported.
import fs from "node:fs";
import { once } from "node:events";
import zlib from "node:zlib";
import type { Writable } from "node:stream";
import { ConfigError } from "../config/load.js";
import { defineOptions } from "../config/options.js";
import { pathString } from "../config/values.js";
import { encodeEvent } from "../events/index.js";
import { isBinaryName } from "../tools/record/binary-format.js";
import { readRecording, type RecordingStats } from "../tools/record/read-events.js";
import { CommandFailed, type CommandSpec } from "./command.js";

/** Bytes of lines gathered before a write. */
const WRITE_BYTES = 64 * 1024;

export const EXPORT_OPTIONS = defineOptions({
  out: {
    flag: "out",
    arg: "file",
    description: "write the NDJSON to this file (replaced if it exists; gzip when the name ends in .gz) instead of stdout",
    defaultText: "stdout",
    flagOnly: true,
    schema: pathString.optional(),
  },
});

export const exportCommand: CommandSpec = {
  name: "export",
  args: "[file...]",
  description:
    "Write the events of recordings (binary .pwb/.pwb.gz from --events, or NDJSON; rotated files oldest first) as the NDJSON lines a live run would " +
    "have written.",
  table: EXPORT_OPTIONS,
  helpAfter: "\nBad records or lines are told on stderr with their place (file and byte offset, or line) and skipped; exit 2 when nothing could be read.",
  run: (opts, files) => runExport(files, opts),
};

/** Resolves to 0; throws ConfigError (exit 2) on bad arguments or recordings without a single event, CommandFailed (1) when the output fails. */
export async function runExport(files: string[], opts: Record<string, unknown>): Promise<number> {
  const out = opts.out === undefined ? undefined : String(opts.out);
  if (files.length === 0) throw new ConfigError("give the recordings to export");
  if (out !== undefined && (out === "" || isBinaryName(out))) throw new ConfigError(`--out ${out}: export writes NDJSON; give a name not ending in .pwb`);
  for (const f of files) {
    try {
      if (!fs.statSync(f).isFile()) throw new ConfigError(`${f} is not a file`);
      fs.accessSync(f, fs.constants.R_OK);
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      throw new ConfigError(`cannot read ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
    }
  }
  let sink: Writable;
  let file: fs.WriteStream | undefined;
  if (out === undefined) sink = process.stdout;
  else {
    try {
      file = fs.createWriteStream(out, { flags: "w", highWaterMark: 1024 * 1024 });
      await once(file, "open");
    } catch (e) {
      throw new ConfigError(`cannot write ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
    }
    if (out.endsWith(".gz")) {
      sink = zlib.createGzip();
      sink.pipe(file);
    } else sink = file;
  }
  let failed: NodeJS.ErrnoException | undefined;
  sink.on("error", (e: NodeJS.ErrnoException) => (failed ??= e));
  file?.on("error", (e: NodeJS.ErrnoException) => (failed ??= e));
  const stats: RecordingStats = { lines: 0, invalid: 0, errors: [] };
  let events = 0;
  let batch = "";
  const flush = async () => {
    if (batch === "" || failed) return;
    const chunk = batch;
    batch = "";
    if (!sink.write(chunk)) await Promise.race([once(sink, "drain"), once(sink, "error")]).catch(() => undefined);
  };
  for await (const e of readRecording(files, stats)) {
    if (failed) break;
    batch += `${encodeEvent(e)}\n`;
    events++;
    if (batch.length >= WRITE_BYTES) await flush();
  }
  await flush();
  if (sink !== process.stdout && !failed) {
    sink.end();
    await once(file ?? sink, "close").catch(() => undefined);
  }
  for (const err of stats.errors) process.stderr.write(`peerwatch export: skipped ${err.slice(0, 300)}\n`);
  if (stats.invalid > stats.errors.length) process.stderr.write(`peerwatch export: ${stats.invalid - stats.errors.length} more bad records or lines skipped\n`);
  // A reader that went away (`| head`) is not a failure of the export.
  if (failed && failed.code !== "EPIPE") {
    process.stderr.write(`peerwatch export: writing ${out ?? "stdout"} failed: ${failed.code ?? failed.message}\n`);
    throw new CommandFailed(1, `writing ${out ?? "stdout"} failed`, { cause: failed });
  }
  if (events === 0 && !failed) throw new ConfigError(`no events in ${files.join(", ")}${stats.invalid ? ` (${stats.invalid} bad records or lines)` : ""}`);
  if (stats.invalid > 0) process.stderr.write(`peerwatch export: ${events} events written; ${stats.invalid} bad records or lines skipped\n`);
  return 0;
}
