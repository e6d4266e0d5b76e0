// `peerwatch replay` and the demo as a user runs them: the built CLI, real ports, real files.
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { SOURCE_NAMES } from "../../src/cli/sources.js";
import { encodeEvent, makeEvent } from "../../src/events/index.js";
import { REPO_ROOT } from "../helpers/capture.js";
import { LiveCli, runCli } from "../helpers/cli.js";
import { buildProgram } from "../../src/cli/main.js";
import { T0, captureEvents, eventCounters, recordLive } from "../helpers/recording.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-replay-cli-"));
const recording = path.join(dir, "rec.ndjson.gz");
let liveMetrics = "";
const SHIPPED = path.join(REPO_ROOT, "data/regtest-demo.ndjson.gz");

beforeAll(async () => {
  liveMetrics = await recordLive(captureEvents(), recording);
});

/** Polls a (possibly async) condition; the failure message carries what `show` says. */
async function waitFor(cond: () => boolean | Promise<boolean>, ms: number, show: () => string = () => ""): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`condition not met in ${ms} ms\n${show().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function get(url: string): Promise<string> {
  const r = await fetch(url);
  return r.text();
}

describe("peerwatch replay", () => {
  it("replays at max speed with /metrics up during --linger, giving the live run's counters, then exits 0", async () => {
    const cli = new LiveCli(["replay", recording, "--speed", "max", "--metrics", "127.0.0.1:0", "--linger", "30", "--node-name", "r"]);
    try {
      await waitFor(
        () => /replay finished/.test(cli.stderr),
        20000,
        () => cli.stderr,
      );
      const port = /metrics at http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(cli.stderr)?.[1];
      const body = await get(`http://127.0.0.1:${port}/metrics`);
      expect(eventCounters(body)).toEqual(eventCounters(liveMetrics));
      expect(body).toMatch(/^peerwatch_events_total\{source="replay",type="source.status"\} 2$/m);
      expect(cli.stderr).not.toContain("\r"); // no progress line on a pipe
      expect(cli.stderr).toMatch(/stay up for 30 s \(--linger\)/);
    } finally {
      expect(await cli.stop()).toBe(0); // SIGTERM ends the linger early, cleanly
    }
  });

  it("writes what it replays to --events, so a replay can be recorded again", async () => {
    const r = await runCli(["replay", recording, "--speed", "max", "--metrics", "off", "--events", "-"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.events.filter((e) => e.type === "net.message").length).toBe(captureEvents().filter((e) => e.type === "net.message").length);
    expect(r.events.find((e) => e.source === "replay")?.data).toMatchObject({ source: "replay", state: "up" });
  });

  it("reports each bad line once with its number and reason, a summary, and goes on", async () => {
    const file = path.join(dir, "bad.ndjson");
    const ok = encodeEvent(makeEvent("ebpf", "n", "tip.changed", { height: 1, hash: "00".repeat(32) }, T0));
    fs.writeFileSync(file, `${ok}\nnot json at all\n${ok}\n{"v":1}\n`);
    const r = await runCli(["replay", file, "--speed", "max", "--metrics", "off"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.match(/bad\.ndjson line 2 skipped: event: not JSON/g)?.length).toBe(1);
    expect(r.stderr).toMatch(/bad\.ndjson line 4 skipped: event: at ts: /);
    expect(r.stderr).toMatch(/replay finished: 2 events; 2 bad line\(s\) skipped/);
  });

  it("exits 2 on an empty or missing file, a file without events, and a bad --speed", async () => {
    const empty = path.join(dir, "empty.ndjson");
    fs.writeFileSync(empty, "");
    const e = await runCli(["replay", empty, "--metrics", "off"]);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/empty\.ndjson is empty: nothing to replay/);
    const m = await runCli(["replay", path.join(dir, "nope.ndjson"), "--metrics", "off"]);
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/cannot read .*nope\.ndjson: ENOENT/);
    const junk = path.join(dir, "junk.ndjson");
    fs.writeFileSync(junk, "x\ny\n");
    const j = await runCli(["replay", junk, "--metrics", "off", "--speed", "max"]);
    expect(j.code).toBe(2);
    expect(j.stderr).toMatch(/no events in .*junk\.ndjson/);
    const s = await runCli(["replay", recording, "--speed", "fast"]);
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/--speed: expected a positive number or max/);
    // What --help promises: any number above 0 (here 3), or max.
    expect(
      buildProgram()
        .commands.find((c) => c.name() === "replay")!
        .helpInformation()
        .replace(/\s+/g, " "),
    ).toMatch(/--speed <n\|max> how fast to play: .*any number above 0/);
    const short = path.join(dir, "short.ndjson");
    fs.writeFileSync(
      short,
      [0, 300_000].map((dt, i) => encodeEvent(makeEvent("ebpf", "n", "tip.changed", { height: i, hash: "00".repeat(32) }, T0 + dt))).join("\n") + "\n",
    );
    const three = await runCli(["replay", short, "--speed", "3", "--metrics", "off"]);
    expect(three.code, three.stderr).toBe(0);
    expect(three.stderr).toMatch(/at speed 3;/);
  });

  it("exits 1 with a clear message when the live page's port is taken", async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const r = await runCli(["replay", recording, "--metrics", "off", "--web", `127.0.0.1:${port}`]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`cannot serve the live page on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
    } finally {
      taken.close();
    }
  });
});

describe("npm start without a node: the demo", () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), "pw-demo-"));
  const demoArgs = fs.existsSync(SHIPPED) ? [] : ["--demo", recording];
  if (demoArgs.length) console.warn(`demo test: ${SHIPPED} is not in this tree yet; demoing a recording made from the test capture`);

  it("says what it looked for, then a ready banner, and replays the recording in a loop with the page and /metrics up, labelled a replay", async () => {
    const cli = new LiveCli(["observe", "--datadir", empty, "--metrics", "127.0.0.1:0", "--web", "127.0.0.1:0", ...demoArgs]);
    try {
      await waitFor(
        () => /"msg":"ready: /.test(cli.stderr),
        20000,
        () => cli.stderr,
      );
      expect(cli.stderr).toMatch(/"msg":"ipc down: no IPC socket/);
      // JSON logs (not a terminal): the banner is one line with the same facts as fields, after what it looked for.
      const lines = cli.stderr.split("\n").filter((l) => l.startsWith("{"));
      const readyAt = lines.findIndex((l) => l.includes('"msg":"ready: '));
      expect(readyAt).toBeGreaterThan(lines.findIndex((l) => l.includes('"msg":"log down: ')));
      const ready = JSON.parse(lines[readyAt]!) as { page: string; metrics: string; replay: boolean; watching: string; note: string; stop: string };
      expect(ready).toMatchObject({ replay: true, stop: expect.stringMatching(/Ctrl-C/), note: expect.stringMatching(/--no-demo/) });
      expect(ready.watching).toMatch(/\.ndjson(\.gz)? \(a real regtest node\) in a loop/);
      const page = ready.page;
      const metrics = ready.metrics;
      expect(page).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(metrics).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      expect(await get(page)).toContain("<title>peerwatch</title>");
      await waitFor(async () => /^peerwatch_events_total\{source="ebpf",type="net.message"\} [1-9]/m.test(await get(metrics)), 15000);
      // The recording's sources are labelled replayed in /metrics: not "ipc up" on this machine.
      await waitFor(async () => /^peerwatch_replayed_source_up\{source="ebpf"\} 1$/m.test(await get(metrics)), 15000);
      const body = await get(metrics);
      expect(body).toMatch(/^peerwatch_source_up\{source="ebpf"\} 0$/m);
      expect(body).toMatch(/^peerwatch_source_up\{source="replay"\} 1$/m);
      const state = JSON.parse(await get(`${page}state.json`)) as {
        replay: { active: boolean; detail: string; pass: number };
        peers: unknown[];
        sources: { source: string; replayed: boolean }[];
      };
      expect(state.replay.active).toBe(true);
      expect(state.replay.pass).toBe(1);
      expect(state.replay.detail).toMatch(/^DEMO: replaying the recording .* in a loop; these events are not from a live node/);
      expect(state.peers.length).toBeGreaterThan(0);
      expect(state.sources.find((s) => s.source === "ebpf")?.replayed).toBe(true);
      expect(state.sources.find((s) => s.source === "replay")?.replayed).toBe(false);
      // What the recorded node's sources say stays out of the log (debug), so the banner stays readable.
      expect(cli.stderr).not.toMatch(/\[replay\] ebpf up/);
    } finally {
      expect(await cli.stop()).toBe(0);
    }
  });

  it("--no-demo keeps the quiet wait: no replay, no page", async () => {
    // A recording is there (env), but the flag says no.
    const r = await runCli(["observe", "--datadir", empty, "--metrics", "off", "--no-demo", "--duration", "1", "--events", "-"], {
      env: { PEERWATCH_DEMO: recording },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/DEMO/);
    expect(r.stderr).not.toMatch(/live page at/);
    expect(r.events.every((e) => e.source !== "replay")).toBe(true);
    expect(r.events.filter((e) => e.type === "source.status").length).toBe(SOURCE_NAMES.length);
  });
});
