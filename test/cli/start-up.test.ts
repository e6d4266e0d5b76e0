// `npm start`'s start-up: it builds only when a build input changed (scripts/build-if-stale, run
// with a stand-in `npm` that records being called), and ends with a banner that says where the
// page and /metrics are, what is watched or replayed, and how to stop.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { bannerLines, stopHint } from "../../src/cli/banner.js";
import { REPO_ROOT } from "../helpers/capture.js";

describe("scripts/build-if-stale", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-build-if-stale-"));
  for (const d of ["scripts", "src/cli", "capnp", "bin"]) fs.mkdirSync(path.join(dir, d), { recursive: true });
  fs.copyFileSync(path.join(REPO_ROOT, "scripts/build-if-stale"), path.join(dir, "scripts/build-if-stale"));
  fs.writeFileSync(path.join(dir, "src/cli/main.ts"), "export {};\n");
  fs.writeFileSync(path.join(dir, "tsconfig.json"), "{}\n");
  // The stand-in npm: counts builds and stamps like `npm run build` does.
  const npm = path.join(dir, "bin/npm");
  fs.writeFileSync(npm, `#!/bin/sh\necho build >> "${dir}/builds"\nexec "${dir}/scripts/build-if-stale" --stamp\n`, { mode: 0o755 });
  const run = () =>
    spawnSync(path.join(dir, "scripts/build-if-stale"), [], {
      encoding: "utf8",
      env: { ...process.env, PATH: `${path.join(dir, "bin")}:${process.env.PATH}` },
    });
  const builds = () => (fs.existsSync(path.join(dir, "builds")) ? fs.readFileSync(path.join(dir, "builds"), "utf8").split("\n").filter(Boolean).length : 0);
  const age = (file: string, secondsAgo: number) => {
    const t = new Date(Date.now() - secondsAgo * 1000);
    fs.utimesSync(path.join(dir, file), t, t);
  };

  it("builds when there is no build, not again when nothing changed, and again after a source changes", () => {
    const first = run();
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/no build yet: building/);
    expect(builds()).toBe(1);
    age("src/cli/main.ts", 60);
    age("tsconfig.json", 60);
    const second = run();
    expect(second.status).toBe(0);
    expect(second.stderr).toBe("");
    expect(builds()).toBe(1);
    age("dist/.built", 30); // the source is now newer than the build
    age("src/cli/main.ts", 10);
    const third = run();
    expect(third.stderr).toMatch(/src\/cli\/main\.ts changed since the last build: building/);
    expect(builds()).toBe(2);
  });

  it("is what npm start runs before observe, and npm run build stamps", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts.prestart).toBe("scripts/setup && scripts/build-if-stale");
    expect(pkg.scripts.build).toMatch(/&& scripts\/build-if-stale --stamp$/);
    expect(pkg.scripts.start).toBe("node bin/peerwatch.js observe");
  });
});

describe("the start-up banner", () => {
  it("names the page, metrics, what is replayed and how to stop, in a few short lines", () => {
    const lines = bannerLines({
      version: "1.2.3",
      replay: true,
      watching: "regtest-demo.ndjson.gz (a real regtest node) in a loop",
      note: "no node found here",
      pageUrl: "http://127.0.0.1:9433/",
      metricsUrl: "http://127.0.0.1:9432/metrics",
      stop: stopHint(undefined),
    });
    expect(lines.length).toBeLessThanOrEqual(8);
    expect(lines[1]).toBe("peerwatch 1.2.3 — REPLAY of a recording, not a live node");
    expect(lines).toContain("  live page  http://127.0.0.1:9433/");
    expect(lines).toContain("  metrics    http://127.0.0.1:9432/metrics");
    expect(lines).toContain("  replaying  regtest-demo.ndjson.gz (a real regtest node) in a loop");
    expect(lines.some((l) => /^ {2}stop {7}Ctrl-C/.test(l))).toBe(true);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(100);
  });

  it("live: says what is watched, that the page is off and how to turn it on, and --duration", () => {
    const lines = bannerLines({
      version: "1",
      replay: false,
      watching: 'node "a" on regtest (/d): ipc, rpc',
      metricsUrl: "http://127.0.0.1:9432/metrics",
      stop: stopHint(10),
    });
    expect(lines[1]).toBe("peerwatch 1");
    expect(lines).toContain('  watching   node "a" on regtest (/d): ipc, rpc');
    expect(lines).toContain("  live page  off (--web 127.0.0.1:9433 turns it on)");
    expect(lines).toContain("  stop       after 10 s (--duration), or Ctrl-C");
  });
});
