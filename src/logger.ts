// One pino logger for the whole process, on stderr (stdout may carry `--events -`). JSON by
// default, pretty on a terminal. Secrets are redacted by key wherever they appear in a log object.
import { pino, type Logger } from "pino";
import pretty from "pino-pretty";

export type { Logger };

/** Keys whose values never reach a log line. */
export const REDACTED_KEYS = ["rpcPassword", "password", "pass", "cookie", "authorization", "Authorization", "token", "creds", "credentials"];

export interface LoggerOptions {
  level: string;
  format?: "json" | "pretty";
  /** Where to write; stderr by default. */
  destination?: NodeJS.WritableStream & { fd?: number };
}

/** The format a logger without an explicit one uses: pretty on a terminal, else JSON. */
export function resolveLogFormat(format?: "json" | "pretty"): "json" | "pretty" {
  return format ?? (process.stderr.isTTY ? "pretty" : "json");
}

export function createLogger(opts: LoggerOptions): Logger {
  const format = resolveLogFormat(opts.format);
  const redact = { paths: REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]), censor: "[redacted]" };
  const base = { level: opts.level, redact, base: { pid: process.pid } };
  if (format === "pretty") {
    return pino(base, pretty({ destination: opts.destination ?? 2, sync: true, colorize: process.stderr.isTTY, ignore: "pid,hostname" }));
  }
  return pino(base, opts.destination ?? pino.destination({ dest: 2, sync: true }));
}
