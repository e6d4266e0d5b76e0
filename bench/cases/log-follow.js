// Following a log: a 30 MB debug.log through LogFollower (bounded chunks, line splitting) against
// reading it whole and splitting; and the memory a 64 MB line without newline costs the follower.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { compare, dist, record, report, root } from "../lib.js";

export async function run() {
  const { LogFollower } = await dist("log/follower.js");
  const real = fs.readFileSync(path.join(root, "test/fixtures/regtest-capture/debug.log"), "utf8").split("\n").filter(Boolean);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-bench-log-"));
  const follow = (file, onLine) => {
    const ac = new AbortController();
    const f = new LogFollower({
      path: file,
      stateFile: undefined,
      startAt: "start",
      maxLineBytes: 16384,
      chunkBytes: 65536,
      pollMs: 5,
      maxLinesPerSecond: 1e12,
      signal: ac.signal,
      onLine: (l) => onLine(l, ac),
      onRestart: () => {},
      onStatus: () => {},
    });
    return f.run();
  };
  try {
    const file = path.join(dir, "debug.log");
    const block = real.join("\n") + "\n";
    const fd = fs.openSync(file, "w");
    let size = 0;
    while (size < 30 * 1024 * 1024) size += fs.writeSync(fd, block);
    fs.closeSync(fd);
    const total = Math.floor(size / Buffer.byteLength(block)) * real.length;
    const med = await compare(
      {
        "LogFollower (64 KiB chunks)": () => {
          let n = 0;
          return follow(file, (_l, ac) => {
            if (++n === total) ac.abort();
          });
        },
        "readFileSync + split": () => {
          fs.readFileSync(file, "utf8").split("\n");
        },
      },
      5,
    );
    report(`Log: follow a ${Math.round(size / 1048576)} MB debug.log (${total.toLocaleString("en")} lines)`, med, "readFileSync + split", total, "lines");

    const huge = path.join(dir, "huge.log");
    fs.writeFileSync(huge, Buffer.alloc(64 * 1024 * 1024, 0x41));
    fs.appendFileSync(huge, "\nend\n");
    const mem = () => {
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const before = mem();
    let peak = before;
    const t = setInterval(() => (peak = Math.max(peak, mem())), 5);
    await follow(huge, (l, ac) => {
      peak = Math.max(peak, mem());
      if (l.text === "end") ac.abort();
    });
    clearInterval(t);
    record("Log: a 64 MB line without newline", { "heap + buffers growth while following it (KiB)": Math.round((peak - before) / 1024) });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
