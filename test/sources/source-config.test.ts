// A source's config without the CLI: the source's descriptor and settings as a config file holds
// them are enough (sourceConfig), with the rows' defaults, their checks and the source's own
// cross-setting check, typed as the source reads it.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/load.js";
import { ebpfDescriptor } from "../../src/ebpf/descriptor.js";
import type { EbpfConfig } from "../../src/ebpf/options.js";
import { makeEvent, type Emit, type PeerwatchEvent } from "../../src/events/index.js";
import { createLogger } from "../../src/logger.js";
import { procDescriptor } from "../../src/proc/descriptor.js";
import { ProcSource } from "../../src/proc/proc-source.js";
import { rpcDescriptor } from "../../src/rpc/descriptor.js";
import { rpcCookiePath, rpcUrl, type RpcConfig } from "../../src/rpc/options.js";
import { sourceConfig } from "../../src/sources/types.js";

describe("sourceConfig: a source's config from its own rows", () => {
  it("fills in the core defaults and the source's row defaults", () => {
    const c = sourceConfig(procDescriptor, { chain: "regtest", datadir: "/srv/btc" });
    expect(c).toMatchObject({
      chain: "regtest",
      datadir: "/srv/btc",
      chainDir: "/srv/btc/regtest",
      pidFile: "/srv/btc/regtest/bitcoind.pid",
      sources: "auto",
      procInterval: 10,
    });
    expect(c.nodeName.length).toBeGreaterThan(0);
  });

  it("types the config as the source reads it; the helpers beside the rows take it", () => {
    const rpc: RpcConfig = sourceConfig(rpcDescriptor, { chain: "signet", datadir: "/d", rpcInterval: "2.5" });
    expect([rpcUrl(rpc), rpcCookiePath(rpc), rpc.rpcInterval, rpc.rpcTimeout, rpc.rpcDisable]).toEqual([
      "http://127.0.0.1:38332",
      "/d/signet/.cookie",
      2.5,
      30,
      [],
    ]);
    const ebpf: EbpfConfig = sourceConfig(ebpfDescriptor, {});
    expect([ebpf.payloadBytes, ebpf.ebpfGroups.length > 0]).toEqual([64, true]);
  });

  it("applies a deprecated alias from its row, as the CLI does", () => {
    expect(sourceConfig(ebpfDescriptor, { ebpfPayloadBytes: 32 }).payloadBytes).toBe(32);
    expect(sourceConfig(ebpfDescriptor, { ebpfPayloadBytes: 32, payloadBytes: 0 }).payloadBytes).toBe(0);
  });

  it("refuses what the rows refuse, another source's settings and what the source's own check refuses", () => {
    expect(() => sourceConfig(procDescriptor, { procInterval: "0x10" })).toThrow(/--proc-interval: expected a decimal number/);
    // @ts-expect-error: the settings' keys are the source's rows and the core rows, nothing else
    expect(() => sourceConfig(procDescriptor, { ipcSocket: "/x" })).toThrow(/unknown setting\(s\): ipcSocket/);
    expect(() => sourceConfig(procDescriptor, { sources: "ipc" })).toThrow(/unknown source "ipc"/);
    expect(() => sourceConfig(rpcDescriptor, { rpcUser: "alice" })).toThrow(ConfigError);
    expect(() => sourceConfig(rpcDescriptor, { rpcUser: "alice" })).toThrow(/--rpc-user and --rpc-password go together/);
  });

  it("runs a source on it: /proc reads the node's threads at its interval", async () => {
    const datadir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-source-config-"));
    fs.writeFileSync(path.join(datadir, "bitcoind.pid"), `${process.pid}\n`);
    const config = sourceConfig(procDescriptor, { datadir, procInterval: 0.05 });
    const events: PeerwatchEvent[] = [];
    const emit: Emit = (type, data) => void events.push(makeEvent("proc", "t", type, data) as PeerwatchEvent);
    const ac = new AbortController();
    const run = new ProcSource().run({ config, emit, log: createLogger({ level: "silent", format: "json" }), signal: ac.signal });
    await new Promise((r) => setTimeout(r, 200));
    ac.abort();
    await run;
    const snapshots = events.filter((e) => e.type === "threads.snapshot");
    expect(snapshots.length).toBeGreaterThanOrEqual(2);
    expect(snapshots[0]?.data).toMatchObject({ pid: process.pid });
  });
});
