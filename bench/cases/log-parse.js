// The log parser: 50,000 lines of the real regtest debug.log (about a quarter become events) against
// JSON.parse of the resulting events as NDJSON, and the prefix parsing alone.
import fs from "node:fs";
import path from "node:path";
import { compare, dist, report, root } from "../lib.js";

export async function run() {
  const { LogParser } = await dist("log/line-kinds.js");
  const { parseLinePrefix, ThreadNameMode } = await dist("log/line-prefix.js");
  const { makeEvent } = await dist("events/index.js");
  const real = fs.readFileSync(path.join(root, "test/fixtures/regtest-capture/debug.log"), "utf8").split("\n").filter(Boolean);
  const lines = Array.from({ length: 50_000 }, (_, i) => real[i % real.length]);
  const ndjson = [];
  const p0 = new LogParser("regtest");
  for (const l of lines) for (const f of p0.parse(l).facts) ndjson.push(JSON.stringify(makeEvent("log", "b", f.type, f.data)));
  let events = 0;
  const med = await compare({
    "LogParser.parse + makeEvent": () => {
      const p = new LogParser("regtest");
      for (const l of lines)
        for (const f of p.parse(l).facts) {
          makeEvent("log", "b", f.type, f.data);
          events++;
        }
    },
    "prefix only (timestamp, thread, category)": () => {
      const m = new ThreadNameMode();
      for (const l of lines) parseLinePrefix(l, m);
    },
    "JSON.parse of the resulting events": () => {
      for (const l of ndjson) JSON.parse(l);
    },
  });
  report(`Log: parse 50,000 real debug.log lines (${ndjson.length} events)`, med, "JSON.parse of the resulting events", lines.length, "lines");
  if (events < 0) console.log(events);
}
