// The prefix Bitcoin Core puts before every debug.log message (BCLog::Logger::Format in logging.cpp):
//   [timestamp[.micros]Z [(mocktime: …)] ][[thread] ][[file:line] [function] ][[category[:level]] ]message
// -logtimemicros adds the fraction, -logthreadnames the thread, -logsourcelocations the location;
// the category (or level) appears for debug categories and for warnings/errors. Thread and category
// share the bracket syntax, and thread names like "net" collide with category names, so the parser
// learns from the file whether thread names are on (see ThreadNameMode).

/** Categories Bitcoin Core knows (LOG_CATEGORIES_BY_STR), plus "all" for uncategorised warnings. */
export const LOG_CATEGORIES: ReadonlySet<string> = new Set([
  "net",
  "tor",
  "mempool",
  "http",
  "bench",
  "zmq",
  "walletdb",
  "rpc",
  "estimatefee",
  "addrman",
  "selectcoins",
  "reindex",
  "cmpctblock",
  "rand",
  "prune",
  "proxy",
  "mempoolrej",
  "coindb",
  "qt",
  "leveldb",
  "validation",
  "i2p",
  "ipc",
  "lock",
  "blockstorage",
  "txreconciliation",
  "scan",
  "txpackages",
  "kernel",
  "privatebroadcast",
  "libevent",
  "all",
]);
export const LOG_LEVELS: ReadonlySet<string> = new Set(["trace", "debug", "info", "warning", "error"]);

export interface LogLine {
  /** Microseconds since the epoch; undefined when the node logs without timestamps (-logtimestamps=0). */
  tsUs: number | undefined;
  thread: string | undefined;
  /** Debug category ("net", "mempool", …); undefined for uncategorised (info/warning/error) lines. */
  category: string | undefined;
  /** "debug" for categorised lines unless the node says otherwise, "info" for bare lines. */
  level: string;
  message: string;
}

/** Whether the first bracket is a thread name: learnt from the lines seen, since the node's flags are not known. */
export class ThreadNameMode {
  /** undefined until a line settles it. */
  threadNames: boolean | undefined;
}

const TS_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{6}))?Z (?:\(mocktime: [0-9TZ:-]+\) )?/;
const BRACKET_RE = /^\[([^\][\s]{1,64})\] /;
const SOURCE_LOC_RE = /^\[[^\]\s]{1,256}:\d{1,7}\] \[[^\]]{1,256}\] /;

function isCategoryToken(tok: string): boolean {
  const [cat, level, extra] = tok.split(":");
  if (extra !== undefined || cat === undefined) return false;
  if (level !== undefined) return LOG_CATEGORIES.has(cat) && LOG_LEVELS.has(level);
  return LOG_CATEGORIES.has(cat) || LOG_LEVELS.has(cat);
}

/** Lines come in bursts within one second: the last second's conversion is kept. */
let lastSecond = "";
let lastSecondUs = 0;

function parseTimestamp(m: RegExpExecArray, line: string): number {
  const second = line.slice(0, 19);
  if (second !== lastSecond) {
    lastSecondUs = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) * 1000;
    lastSecond = second;
  }
  return lastSecondUs + (m[7] ? Number(m[7]) : 0);
}

/** Splits one line (without its newline) into prefix fields and message. Never throws. */
export function parseLinePrefix(line: string, mode: ThreadNameMode): LogLine {
  let rest = line;
  let tsUs: number | undefined;
  const ts = TS_RE.exec(rest);
  if (ts) {
    tsUs = parseTimestamp(ts, line);
    rest = rest.slice(ts[0].length);
  }
  const first = BRACKET_RE.exec(rest);
  let thread: string | undefined;
  let catTok: string | undefined;
  if (first) {
    const afterFirst = rest.slice(first[0].length);
    const second = BRACKET_RE.exec(afterFirst);
    const firstIsCategory = isCategoryToken(first[1] as string);
    if (!firstIsCategory || (second && isCategoryToken(second[1] as string)) || SOURCE_LOC_RE.test(afterFirst)) {
      // Only a thread name can be followed by a category or a source location, and only a
      // thread name can be something that is no category ("init", "msghand", "unknown").
      mode.threadNames = true;
    } else if (mode.threadNames === undefined && first[1] !== "net") {
      // A category with nothing before it in a file that has not shown thread names yet.
      mode.threadNames = false;
    }
    if (mode.threadNames === true || !firstIsCategory) {
      thread = first[1];
      rest = afterFirst;
      const loc = SOURCE_LOC_RE.exec(rest);
      if (loc) rest = rest.slice(loc[0].length);
      const cat = BRACKET_RE.exec(rest);
      if (cat && isCategoryToken(cat[1] as string)) {
        catTok = cat[1];
        rest = rest.slice(cat[0].length);
      }
    } else {
      catTok = first[1];
      rest = afterFirst;
    }
  }
  let category: string | undefined;
  let level = "info";
  if (catTok !== undefined) {
    const [a, b] = catTok.split(":") as [string, string | undefined];
    if (b !== undefined) {
      category = a;
      level = b;
    } else if (LOG_LEVELS.has(a)) {
      level = a;
    } else {
      category = a;
      level = "debug";
    }
  }
  return { tsUs, thread, category: category === "all" ? undefined : category, level, message: rest };
}
