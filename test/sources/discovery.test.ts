// Auto mode: what each source's check finds from the datadir, the PID and /proc.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadObserveConfig } from "../../src/cli/observe-options.js";
import { discoverSources } from "../../src/cli/observe.js";
import { nodeBinary } from "../../src/ebpf/options.js";
import { p2pTarget } from "../../src/p2p/options.js";

const emptyDatadir = () => fs.mkdtempSync(path.join(os.tmpdir(), "pw-discover-"));
const plans = (flags: Record<string, unknown>) => Object.fromEntries(discoverSources(loadObserveConfig(flags, {})).map((d) => [d.descriptor.name, d.plan]));

describe("discovery in auto mode", () => {
  it("with nothing in the datadir, starts nothing and says what it looked for", () => {
    const p = plans({ datadir: emptyDatadir(), chain: "regtest" });
    expect(Object.keys(p).sort()).toEqual(["ebpf", "ipc", "log", "p2p", "proc", "rpc"]);
    for (const plan of Object.values(p)) expect(plan.start).toBe(false);
    expect(p.ipc).toMatchObject({ reason: expect.stringMatching(/no IPC socket at .*regtest\/node\.sock/) });
    expect(p.p2p).toMatchObject({ reason: expect.stringMatching(/no running node found/) });
  });

  it("takes the node's binary from /proc/<pid>/exe when --bitcoin-node-bin is not given", () => {
    const c = loadObserveConfig({ datadir: emptyDatadir(), pid: String(process.pid) }, {});
    expect(nodeBinary(c, process.pid)).toEqual({ path: fs.realpathSync(process.execPath), from: `/proc/${process.pid}/exe` });
    const given = loadObserveConfig({ datadir: emptyDatadir(), bitcoinNodeBin: "/usr/bin/true" }, {});
    expect(nodeBinary(given, process.pid)).toEqual({ path: "/usr/bin/true", from: "--bitcoin-node-bin" });
  });

  it("points the P2P pinger at the chain's local P2P port when a node runs, unless --no-p2p", () => {
    const datadir = emptyDatadir();
    const running = { datadir, chain: "regtest", pid: String(process.pid) };
    expect(p2pTarget(loadObserveConfig(running, {}))).toEqual({ host: "127.0.0.1", port: 18444 });
    expect(plans(running).p2p).toMatchObject({ start: true, detail: expect.stringMatching(/connect to 127\.0\.0\.1:18444 \(a node runs here: PID \d+\)/) });
    expect(plans({ ...running, p2p: false }).p2p).toMatchObject({ start: false, reason: expect.stringMatching(/--no-p2p/) });
    expect(p2pTarget(loadObserveConfig({ ...running }, { PEERWATCH_P2P: "off" }))).toBeUndefined();
    // The cookie a running node writes is enough too.
    fs.mkdirSync(path.join(datadir, "regtest"));
    fs.writeFileSync(path.join(datadir, "regtest", ".cookie"), "__cookie__:x");
    expect(p2pTarget(loadObserveConfig({ datadir, chain: "regtest" }, {}))).toEqual({ host: "127.0.0.1", port: 18444 });
    expect(p2pTarget(loadObserveConfig({ datadir, chain: "regtest", p2p: "10.1.2.3" }, {}))).toEqual({ host: "10.1.2.3", port: 18444 });
  });

  it("starts only the sources asked for by name", () => {
    expect(Object.keys(plans({ datadir: emptyDatadir(), sources: "rpc,proc" })).sort()).toEqual(["proc", "rpc"]);
  });
});
