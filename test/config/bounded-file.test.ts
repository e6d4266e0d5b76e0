// Settings files (config, alert thresholds, IP lists) are read with a hard byte limit and must be
// regular files: /dev/zero, a FIFO or a huge file get a clear error at once, never a hang or 2 GB.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readBoundedFile } from "../../src/config/bounded-file.js";
import { loadObserveConfig as loadConfig } from "../../src/cli/observe-options.js";
import { ConfigError } from "../../src/config/load.js";
import { loadThresholds } from "../../src/tools/alerts/thresholds.js";
import { loadIpLists } from "../../src/iplists/load-lists.js";
import { runCli } from "../helpers/cli.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pw-bounded-"));
const fifo = path.join(tmp, "settings.fifo");
execFileSync("mkfifo", [fifo]);

describe("readBoundedFile", () => {
  it("reads a regular file up to the limit, and not one byte more", () => {
    const f = path.join(tmp, "ok.json");
    fs.writeFileSync(f, "x".repeat(100));
    expect(readBoundedFile(f, 100, "config file")).toBe("x".repeat(100));
    expect(() => readBoundedFile(f, 99, "config file")).toThrow(`config file ${f} is larger than 99 bytes`);
  });

  it("refuses /dev/zero, a FIFO and a directory, naming what they are", () => {
    expect(() => readBoundedFile("/dev/zero", 1 << 20, "config file")).toThrow("config file /dev/zero is not a regular file (a character device)");
    expect(() => readBoundedFile(fifo, 1 << 20, "config file")).toThrow(`config file ${fifo} is not a regular file (a FIFO)`);
    expect(() => readBoundedFile(tmp, 1 << 20, "config file")).toThrow(/is not a regular file \(a directory\)/);
    expect(() => readBoundedFile(path.join(tmp, "absent"), 10, "config file")).toThrow(/cannot read config file .*ENOENT/);
  });
});

describe("settings files through the bounded reader", () => {
  it("--config: /dev/zero, a FIFO, 2 MB and a 20,000-deep nesting are ConfigErrors", () => {
    const big = path.join(tmp, "big.json");
    fs.writeFileSync(big, `{"nodeName":"${"a".repeat(2 << 20)}"}`);
    const deep = path.join(tmp, "deep.json");
    fs.writeFileSync(deep, `{"nodeName":${"[".repeat(20_000)}${"]".repeat(20_000)}}`);
    for (const [file, re] of [
      ["/dev/zero", /not a regular file/],
      [fifo, /not a regular file \(a FIFO\)/],
      [big, /larger than 1048576 bytes/],
      [deep, /nests deeper than 64 levels/],
    ] as const) {
      expect(() => loadConfig({ config: file }, {})).toThrow(ConfigError);
      expect(() => loadConfig({ config: file }, {})).toThrow(re);
    }
  });

  it("alert thresholds and IP lists: the same bounds", () => {
    expect(() => loadThresholds("/dev/zero")).toThrow(/alert thresholds \/dev\/zero is not a regular file/);
    expect(() => loadThresholds(fifo)).toThrow(/is not a regular file \(a FIFO\)/);
    const dir = fs.mkdtempSync(path.join(tmp, "lists-"));
    fs.writeFileSync(path.join(dir, "good.txt"), "10.0.0.0/8\n");
    execFileSync("mkfifo", [path.join(dir, "hostile.txt")]);
    const lists = loadIpLists(dir);
    expect(lists.names).toEqual(["good"]);
    expect(lists.errors).toEqual([`IP list ${path.join(dir, "hostile.txt")} is not a regular file (a FIFO)`]);
  });

  it("peerwatch observe --config /dev/zero or a FIFO exits 2 at once with the reason", async () => {
    for (const file of ["/dev/zero", fifo]) {
      const r = await runCli(["observe", "--config", file, "--duration", "0.5", "--metrics", "off"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`config file ${file} is not a regular file`);
    }
  });
});
