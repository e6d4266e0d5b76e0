// Log extractor benchmarks, run by bench/run.js with its compare/report helpers.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export async function run({ compare, report, dist, root }) {
  const { LogParser } = await dist("log/line-kinds.js");
  const { parseLinePrefix, ThreadNameMode } = await dist("log/line-prefix.js");
  const { LogFollower } = await dist("log/follower.js");
  const { makeEvent } = await dist("events/index.js");
  const real = fs.readFileSync(path.join(root, "test/fixtures/regtest-capture/debug.log"), "utf8").split("\n").filter(Boolean);

  // 4. Parsing: 50,000 lines of the real regtest log (about half of them become events).
  {
    const lines = Array.from({ length: 50_000 }, (_, i) => real[i % real.length]);
    let events = 0;
    const ndjson = [];
    const p0 = new LogParser("regtest");
    for (const l of lines) for (const f of p0.parse(l).facts) ndjson.push(JSON.stringify(makeEvent("log", "b", f.type, f.data)));
    const med = await compare({
      "LogParser.parse + makeEvent": () => {
        const p = new LogParser("regtest");
        for (const l of lines) for (const f of p.parse(l).facts) { makeEvent("log", "b", f.type, f.data); events++; }
      },
      "prefix only (timestamp, thread, category)": () => {
        const m = new ThreadNameMode();
        for (const l of lines) parseLinePrefix(l, m);
      },
      "JSON.parse of the resulting events": () => { for (const l of ndjson) JSON.parse(l); },
    });
    report(`Log: parse 50,000 real debug.log lines (${ndjson.length} events)`, med, "JSON.parse of the resulting events", lines.length, "lines");
    if (events < 0) console.log(events);
  }

  // 5. Following: a 30 MB log through LogFollower (bounded chunks, line splitting) vs reading it whole and splitting.
  {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-bench-log-"));
    const file = path.join(dir, "debug.log");
    const block = real.join("\n") + "\n";
    const fd = fs.openSync(file, "w");
    let size = 0;
    while (size < 30 * 1024 * 1024) size += fs.writeSync(fd, block);
    fs.closeSync(fd);
    const total = Math.floor(size / Buffer.byteLength(block)) * real.length;
    const follow = async () => {
      const ac = new AbortController();
      let n = 0;
      const f = new LogFollower({
        path: file, stateFile: undefined, startAt: "start", maxLineBytes: 16384, chunkBytes: 65536, pollMs: 5, maxLinesPerSecond: 1e12,
        signal: ac.signal, onLine: () => { if (++n === total) ac.abort(); }, onRestart: () => {}, onStatus: () => {},
      });
      await f.run();
    };
    const med = await compare({
      "LogFollower (64 KiB chunks)": follow,
      "readFileSync + split": () => { fs.readFileSync(file, "utf8").split("\n"); },
    }, 5);
    report(`Log: follow a ${Math.round(size / 1048576)} MB debug.log (${total.toLocaleString("en")} lines)`, med, "readFileSync + split", total, "lines");

    // Memory: a 64 MB line without a newline costs the follower one line limit, not the line.
    const huge = path.join(dir, "huge.log");
    fs.writeFileSync(huge, Buffer.alloc(64 * 1024 * 1024, 0x41));
    fs.appendFileSync(huge, "\nend\n");
    global.gc?.();
    const mem = () => { const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };
    const before = mem();
    let peak = before;
    const ac = new AbortController();
    const f = new LogFollower({
      path: huge, stateFile: undefined, startAt: "start", maxLineBytes: 16384, chunkBytes: 65536, pollMs: 5, maxLinesPerSecond: 1e12,
      signal: ac.signal, onLine: (l) => { peak = Math.max(peak, mem()); if (l.text === "end") ac.abort(); }, onRestart: () => {}, onStatus: () => {},
    });
    const t = setInterval(() => (peak = Math.max(peak, mem())), 5);
    await f.run();
    clearInterval(t);
    console.log(`  64 MB line without newline: heap + buffers grew by at most ${((peak - before) / 1048576).toFixed(1)} MB while following it`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
