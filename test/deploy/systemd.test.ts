// The shipped systemd units (deploy/systemd) pass `systemd-analyze verify` with not a single
// warning (an unknown key or bad value is only a warning there), the eBPF drop-in included, and
// keep their least-privilege promises: own user, read-only system, no capabilities but CAP_BPF and
// CAP_PERFMON in the eBPF drop-in, secrets from an environment file.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/capture.js";
import { reportSkip } from "../helpers/skip.js";

const SYSTEMD = path.join(REPO_ROOT, "deploy/systemd");
const UNITS = ["peerwatch-observe.service", "peerwatch-tools.service"];
const hasAnalyze = !spawnSync("systemd-analyze", ["--version"]).error;

/** `Key=value` lines of a unit file (later lines win, as systemd reads them; empty resets). */
function settings(file: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, k, v] = m as unknown as [string, string, string];
    out.set(k, v === "" ? [] : [...(out.get(k) ?? []), v]);
  }
  return out;
}

/** A copy of the units whose ExecStart runs this checkout's CLI (verify wants an existing binary). */
function unitsHere(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-systemd-"));
  fs.cpSync(SYSTEMD, dir, { recursive: true });
  for (const u of UNITS) {
    const f = path.join(dir, u);
    fs.writeFileSync(f, fs.readFileSync(f, "utf8").replace(/^ExecStart=\/usr\/bin\/peerwatch /m, `ExecStart=${path.join(REPO_ROOT, "bin/peerwatch.js")} `));
  }
  return dir;
}

if (!hasAnalyze) {
  reportSkip("systemd units verify", "systemd-analyze is not installed (Debian: systemd; scripts/setup --test installs it)");
} else {
  describe("systemd units verify", () => {
    it("systemd-analyze verify passes both units and the eBPF drop-in without a warning", () => {
      const dir = unitsHere();
      const r = spawnSync("systemd-analyze", ["verify", "--man=no", ...UNITS.map((u) => path.join(dir, u))], { encoding: "utf8" });
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
    });

    it("would catch a typo in the drop-in and a binary that is not there", () => {
      const dir = unitsHere();
      fs.appendFileSync(path.join(dir, "peerwatch-observe.service.d/ebpf.conf"), "AmbientCapabilites=CAP_SYS_ADMIN\n");
      const typo = spawnSync("systemd-analyze", ["verify", "--man=no", path.join(dir, "peerwatch-observe.service")], { encoding: "utf8" });
      expect(typo.stderr).toMatch(/Unknown key 'AmbientCapabilites'/);
      const missing = spawnSync("systemd-analyze", ["verify", "--man=no", path.join(SYSTEMD, "peerwatch-tools.service")], { encoding: "utf8" });
      if (!fs.existsSync("/usr/bin/peerwatch")) expect(missing.status).not.toBe(0);
    });
  });
}

describe("systemd units: least privilege", () => {
  it.each(UNITS)("%s: own user, read-only system, no capabilities, no new privileges, secrets from an environment file", (u) => {
    const s = settings(path.join(SYSTEMD, u));
    expect(s.get("User")).toEqual(["peerwatch"]);
    expect(s.get("ProtectSystem")).toEqual(["strict"]);
    expect(s.get("NoNewPrivileges")).toEqual(["yes"]);
    expect(s.get("CapabilityBoundingSet")).toEqual([]);
    expect(s.get("AmbientCapabilities")).toEqual([]);
    expect(s.get("EnvironmentFile")?.[0]).toMatch(/^\/etc\/peerwatch\/\w+\.env$/);
    expect(s.get("StateDirectory")).toEqual(["peerwatch"]);
    // Settings come from the environment file; no secret on the command line (ps shows it).
    expect(s.get("ExecStart")?.[0]).not.toMatch(/password|token|--nats-/i);
    const env = path.join(SYSTEMD, path.basename(s.get("EnvironmentFile")![0]!));
    expect(fs.existsSync(env), `example ${env}`).toBe(true);
  });

  it("observe reads the node through its group; the eBPF drop-in adds exactly CAP_BPF and CAP_PERFMON", () => {
    expect(settings(path.join(SYSTEMD, "peerwatch-observe.service")).get("SupplementaryGroups")).toEqual(["bitcoin"]);
    expect(settings(path.join(SYSTEMD, "peerwatch-tools.service")).get("SupplementaryGroups")).toBeUndefined();
    const ebpf = settings(path.join(SYSTEMD, "peerwatch-observe.service.d/ebpf.conf"));
    expect(ebpf.get("CapabilityBoundingSet")).toEqual(["CAP_BPF CAP_PERFMON"]);
    expect(ebpf.get("AmbientCapabilities")).toEqual(["CAP_BPF CAP_PERFMON"]);
  });
});
