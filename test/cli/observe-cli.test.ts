import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SOURCE_NAMES } from "../../src/cli/sources.js";
import { REPO_ROOT } from "../helpers/capture.js";
import { runCli } from "../helpers/cli.js";
import { observeWithMetrics } from "../helpers/live-metrics.js";

const empty = fs.mkdtempSync(path.join(os.tmpdir(), "pw-nonode-"));

describe("peerwatch observe without a node", () => {
  it("reports every source it looked for, and why it is down, then exits 0 after --duration", async () => {
    const r = await runCli(["observe", "--datadir", empty, "--events", "-", "--duration", "1", "--metrics", "127.0.0.1:0", "--node-name", "t1", "--no-demo"]);
    expect(r.code, r.stderr).toBe(0);
    const statuses = r.events.filter((e) => e.type === "source.status");
    expect(statuses.map((e) => (e.type === "source.status" ? e.data.source : "")).sort()).toEqual([...SOURCE_NAMES].sort());
    for (const e of statuses) {
      expect(e.node).toBe("t1");
      if (e.type !== "source.status") continue;
      expect(e.data.state).toBe("down");
      expect(e.source).toBe(e.data.source);
    }
    const detail = (s: string) => statuses.find((e) => e.type === "source.status" && e.data.source === s)?.data as { detail: string };
    expect(detail("ipc").detail).toContain(path.join(empty, "node.sock"));
    expect(detail("rpc").detail).toContain(".cookie");
    expect(detail("p2p").detail).toContain("--p2p");
    expect(detail("ebpf").detail).toContain("bitcoind.pid");
    // The log (stderr, JSON off a terminal) says the same in words.
    expect(r.stderr).toMatch(/"msg":"ipc down: no IPC socket/);
  });

  it("warns in its log that --ebpf-payload-bytes is deprecated (the row says so, not the eBPF source)", async () => {
    const r = await runCli([
      "observe",
      "--datadir",
      empty,
      "--duration",
      "0.2",
      "--metrics",
      "off",
      "--no-demo",
      "--sources",
      "proc",
      "--ebpf-payload-bytes",
      "32",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/"level":40,.*"msg":"--ebpf-payload-bytes \(PEERWATCH_EBPF_PAYLOAD_BYTES, ebpfPayloadBytes\) is deprecated: use --payload-bytes/);
  });

  it("writes events to a file and only to it", async () => {
    const out = path.join(empty, "events.ndjson");
    const r = await runCli(["observe", "--datadir", empty, "--events", out, "--duration", "0.5", "--metrics", "off", "--no-demo"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("");
    const lines = fs.readFileSync(out, "utf8").trim().split("\n");
    expect(lines.length).toBe(SOURCE_NAMES.length);
  });

  it("checks only the sources asked for", async () => {
    const r = await runCli(["observe", "--datadir", empty, "--sources", "p2p", "--events", "-", "--duration", "0.5", "--metrics", "off"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.events.map((e) => (e.type === "source.status" ? e.data.source : e.type))).toEqual(["p2p"]);
  });

  it("exits 2 with a clear message on a bad setting, naming where it came from", async () => {
    const r = await runCli(["observe", "--chain", "moon"], { env: { PEERWATCH_DURATION: "1" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--chain: /);
    const e = await runCli(["observe"], { env: { PEERWATCH_SOURCES: "nope" } });
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/PEERWATCH_SOURCES: unknown source "nope"/);
  });

  it("exits 2 on a bad alert thresholds file, before starting anything", async () => {
    const bad = path.join(empty, "alerts.json");
    fs.writeFileSync(bad, JSON.stringify({ pingSpamCount: "many" }));
    const r = await runCli(["observe", "--datadir", empty, "--alerts", bad, "--events", "-", "--metrics", "off", "--duration", "5"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/alert thresholds .*alerts\.json: pingSpamCount/);
  });

  it("never logs the RPC password", async () => {
    const secret = "s3cret-pw-do-not-log";
    const r = await runCli([
      "observe",
      "--datadir",
      empty,
      "--rpc-user",
      "u",
      "--rpc-password",
      secret,
      "--duration",
      "0.5",
      "--metrics",
      "off",
      "--log-level",
      "trace",
      "--events",
      "-",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr + r.stdout).not.toContain(secret);
  });

  it("serves /metrics on the address asked, with the sources' state, and stops on SIGTERM", async () => {
    const { cli, scrape } = await observeWithMetrics(["observe", "--datadir", empty, "--metrics", "127.0.0.1:0", "--events", "-", "--no-demo"]);
    const body = await scrape();
    expect(body).toMatch(/^peerwatch_source_up\{source="ipc"\} 0$/m);
    expect(body).toMatch(/^peerwatch_events_total\{source="ipc",type="source.status"\} 1$/m);
    expect(await cli.stop()).toBe(0);
  });
});

describe("--help and the README", () => {
  it("lists every flag of every command in the README", async () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
    const top = await runCli(["--help"]);
    const obs = await runCli(["observe", "--help"]);
    const tools = await runCli(["tools", "--help"]);
    expect(top.code).toBe(0);
    expect(obs.code).toBe(0);
    expect(tools.code).toBe(0);
    const flags = new Set([...(top.stdout + obs.stdout + tools.stdout).matchAll(/(?<![\w-])--[a-z][a-z0-9-]+/g)].map((m) => m[0]));
    expect(flags.size).toBeGreaterThan(15);
    const missing = [...flags].filter((f) => f !== "--help" && f !== "--version" && !readme.includes(`\`${f}`));
    expect(missing, "flags in --help but not in README.md").toEqual([]);
  });
});
