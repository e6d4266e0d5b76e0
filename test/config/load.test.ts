import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadObserveConfig as loadConfig } from "../../src/cli/observe-options.js";
import { PAYLOAD_OPTIONS } from "../../src/codecs/p2p/options.js";
import { ConfigError, loadSettings } from "../../src/config/load.js";
import { ipcSocketPath } from "../../src/ipc/options.js";
import { rpcCookiePath, rpcUrl } from "../../src/rpc/options.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pw-config-"));
const writeConfig = (obj: unknown) => {
  const f = path.join(tmp, `c${Math.random()}.json`);
  fs.writeFileSync(f, typeof obj === "string" ? obj : JSON.stringify(obj));
  return f;
};

describe("config", () => {
  it("has sane defaults derived from the chain and datadir", () => {
    const c = loadConfig({}, {});
    expect(c.chain).toBe("main");
    expect(c.datadir).toBe(path.join(os.homedir(), ".bitcoin"));
    expect(ipcSocketPath(c)).toBe(path.join(os.homedir(), ".bitcoin", "node.sock"));
    expect(rpcUrl(c)).toBe("http://127.0.0.1:8332");
    expect(c.metrics).toEqual({ host: "127.0.0.1", port: 9432 });
    expect(c.sources).toBe("auto");
    expect(c.rpcInterval).toBe(10);
  });

  it("puts regtest files under the regtest subdirectory and uses its ports", () => {
    const c = loadConfig({ chain: "regtest", datadir: "/srv/btc" }, {});
    expect(ipcSocketPath(c)).toBe("/srv/btc/regtest/node.sock");
    expect(rpcCookiePath(c)).toBe("/srv/btc/regtest/.cookie");
    expect(c.pidFile).toBe("/srv/btc/regtest/bitcoind.pid");
    expect(rpcUrl(c)).toBe("http://127.0.0.1:18443");
  });

  it("layers flags over env over the config file", () => {
    const file = writeConfig({ chain: "signet", nodeName: "from-file", rpcInterval: 30, duration: 5 });
    const c = loadConfig({ config: file, nodeName: "from-flag" }, { PEERWATCH_RPC_INTERVAL: "20", PEERWATCH_NODE_NAME: "from-env" });
    expect(c.chain).toBe("signet");
    expect(c.nodeName).toBe("from-flag");
    expect(c.rpcInterval).toBe(20);
    expect(c.duration).toBe(5);
  });

  it("parses source lists, host:port and numbers", () => {
    const c = loadConfig({ sources: "ipc, p2p,ipc", p2p: "[::1]:18444", metrics: "off", pingInterval: "0.5" }, {});
    expect(c.sources).toEqual(["ipc", "p2p"]);
    expect(c.p2p).toEqual({ host: "::1", port: 18444 });
    expect(c.metrics).toBe("off");
    expect(c.pingInterval).toBe(0.5);
  });

  it.each([
    [{ chain: "mainnet" }, {}, /--chain: .*main, testnet4, signet, regtest/],
    [{ sources: "ipc,carrier-pigeon" }, {}, /--sources: unknown source "carrier-pigeon"/],
    [{ metrics: "9432" }, {}, /--metrics: .*host:port/],
    [{ duration: "soon" }, {}, /--duration: /],
    [{ duration: "-1" }, {}, /--duration: must be more than 0/],
    [{}, { PEERWATCH_PING_INTERVAL: "0" }, /PEERWATCH_PING_INTERVAL: must be more than 0/],
    [{ rpcUser: "alice" }, {}, /--rpc-user and --rpc-password go together/],
    [{ rpcUrl: "ftp://x" }, {}, /--rpc-url: /],
  ])("rejects %j %j with a clear message", (flags, env, re) => {
    expect(() => loadConfig(flags, env)).toThrow(ConfigError);
    expect(() => loadConfig(flags, env)).toThrow(re);
  });

  it("names the config file and the bad key", () => {
    expect(() => loadConfig({ config: writeConfig({ ipc_socket: "/x" }) }, {})).toThrow(/unknown setting "ipc_socket"/);
    expect(() => loadConfig({ config: writeConfig("{ not json") }, {})).toThrow(/is not valid JSON/);
    expect(() => loadConfig({ config: writeConfig([1, 2]) }, {})).toThrow(/JSON object/);
    expect(() => loadConfig({ config: path.join(tmp, "absent.json") }, {})).toThrow(/cannot read config file .*ENOENT/);
    expect(() => loadConfig({ config: writeConfig({ chain: 5 }) }, {})).toThrow(/config file key "chain"/);
  });

  it("never echoes a secret in an error", () => {
    const secret = "hunter2-very-secret";
    try {
      loadConfig({ rpcPassword: secret }, {});
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).not.toContain(secret);
    }
    try {
      loadConfig({ config: writeConfig({ rpcPassword: secret, rpcUser: 5 }) }, {});
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).not.toContain(secret);
    }
  });

  it.each([
    [{}, { PEERWATCH_RPC_INTERVAL: "0x10" }, /PEERWATCH_RPC_INTERVAL: expected a decimal number/],
    [{ duration: "1e1" }, {}, /--duration: expected a decimal number/],
    [{ pid: "12.5" }, {}, /--pid: expected a whole number/],
    [{ pid: " " }, {}, /--pid: expected a decimal number/],
  ])("is strict about numbers: %j %j", (flags, env, re) => {
    expect(() => loadConfig(flags, env)).toThrow(re);
  });

  it("takes no boolean or hex where a number is meant, from the config file either", () => {
    expect(() => loadConfig({ config: writeConfig({ rpcInterval: true }) }, {})).toThrow(/config file key "rpcInterval": expected a decimal number/);
    expect(() => loadConfig({ config: writeConfig({ pid: true }) }, {})).toThrow(/config file key "pid"/);
    expect(() => loadConfig({ config: writeConfig({ ebpfPayloadBytes: "0x10" }) }, {})).toThrow(/config file key "ebpfPayloadBytes"/);
    expect(loadConfig({ config: writeConfig({ rpcInterval: 2.5, pid: 7 }) }, {})).toMatchObject({ rpcInterval: 2.5, pid: 7 });
  });
});

describe("net-message capture settings (shared by eBPF and IPC tracing)", () => {
  it("one --payload-bytes for both sources, 64 by default, the IPC trace options settable", () => {
    const d = loadConfig({}, {});
    expect(d.payloadBytes).toBe(64);
    expect([d.ipcTrace, d.ipcTraceQueueEvents, d.ipcTraceBatchEvents, d.ipcTraceBatchWaitUs]).toEqual([true, 65536, 1024, 1000]);
    const c = loadConfig({ payloadBytes: "16", ipcTrace: "off", ipcTraceQueueEvents: "10", ipcTraceBatchEvents: "5", ipcTraceBatchWaitUs: "0" }, {});
    expect([c.payloadBytes, c.ipcTrace, c.ipcTraceQueueEvents, c.ipcTraceBatchEvents, c.ipcTraceBatchWaitUs]).toEqual([16, false, 10, 5, 0]);
  });

  it("keeps --ebpf-payload-bytes working as an alias; --payload-bytes wins when both are given", () => {
    expect(loadConfig({ ebpfPayloadBytes: "32" }, {}).payloadBytes).toBe(32);
    expect(loadConfig({}, { PEERWATCH_EBPF_PAYLOAD_BYTES: "8" }).payloadBytes).toBe(8);
    expect(loadConfig({ ebpfPayloadBytes: "32", payloadBytes: "0" }, {}).payloadBytes).toBe(0);
  });

  it("says from the row that the alias is deprecated, once, whichever layer set it; says nothing when it is not used", () => {
    const told: string[] = [];
    const warn = (m: string) => told.push(m);
    loadConfig({ ebpfPayloadBytes: "32" }, {}, undefined, warn);
    loadConfig({}, { PEERWATCH_EBPF_PAYLOAD_BYTES: "8" }, undefined, warn);
    loadConfig({ payloadBytes: "16" }, {}, undefined, warn);
    const notice =
      "--ebpf-payload-bytes (PEERWATCH_EBPF_PAYLOAD_BYTES, ebpfPayloadBytes) is deprecated: use --payload-bytes, which sets eBPF and IPC tracing alike";
    expect(told).toEqual([notice, notice]);
    // Any table with the row: the loader warns, not the eBPF source.
    const alone: string[] = [];
    expect(loadSettings(PAYLOAD_OPTIONS, { ebpfPayloadBytes: "0" }, {}, (m) => alone.push(m))).toMatchObject({ payloadBytes: 0 });
    expect(alone).toEqual([notice]);
  });

  it("refuses payload sizes eBPF cannot copy and an empty trace queue", () => {
    expect(() => loadConfig({ payloadBytes: "129" }, {})).toThrow(/--payload-bytes: at most 128/);
    expect(() => loadConfig({ ipcTraceQueueEvents: "0" }, {})).toThrow(/--ipc-trace-queue-events: at least 1/);
    expect(() => loadConfig({ ipcTrace: "maybe" }, {})).toThrow(/--ipc-trace: expected true or false/);
  });
});
