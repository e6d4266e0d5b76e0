// Why IPC is not up, when the node runs but has no socket: a bitcoind (Core's or Knots') cannot
// serve IPC at all, so peerwatch says so instead of advising -ipcbind; a bitcoin-node can.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadObserveConfig } from "../../src/cli/observe-options.js";
import { ipcDescriptor } from "../../src/ipc/descriptor.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-ipcdisc-"));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs a copy of `sleep` under the node's binary name and writes its PID file, like a running node. */
function fakeNode(name: string): ReturnType<typeof loadObserveConfig> {
  const datadir = path.join(dir, name);
  fs.mkdirSync(path.join(datadir, "regtest"), { recursive: true });
  const bin = path.join(datadir, name);
  fs.copyFileSync("/bin/sleep", bin);
  fs.chmodSync(bin, 0o755);
  const child = spawn(bin, ["60"], { stdio: "ignore" });
  children.push(child);
  fs.writeFileSync(path.join(datadir, "regtest", "bitcoind.pid"), `${child.pid}\n`);
  return loadObserveConfig({ chain: "regtest", datadir }, {});
}

describe("IPC discovery with a running node and no socket", () => {
  it("a bitcoind: this node's implementation serves no IPC interface", () => {
    const r = ipcDescriptor.check(fakeNode("bitcoind") as never);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toMatch(/is .*\/bitcoind, not bitcoin-node, and this node's implementation serves no IPC interface/);
  });

  it("a bitcoin-node: start it with -ipcbind=unix", () => {
    const r = ipcDescriptor.check(fakeNode("bitcoin-node") as never);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toMatch(/start bitcoin-node with -ipcbind=unix/);
  });
});
