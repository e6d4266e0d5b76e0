// Numeric settings are numbers or plain decimal text: no silent coercion of booleans, hex or
// exponents (rpcInterval: true was 1 s, pid: true was PID 1, "0x10" was 16, "1e1" was 10 s).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadObserveConfig as loadConfig } from "../../src/cli/observe-options.js";
import { ConfigError } from "../../src/config/load.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pw-strict-"));
const file = (obj: unknown) => {
  const f = path.join(tmp, `c${Math.random()}.json`);
  fs.writeFileSync(f, JSON.stringify(obj));
  return f;
};

describe("strict numbers in settings", () => {
  it.each([
    ["config file", { config: file({ rpcInterval: true }) }, {}, /config file key "rpcInterval": expected a decimal number/],
    ["config file", { config: file({ pid: true }) }, {}, /config file key "pid": expected a decimal number/],
    ["config file", { config: file({ duration: "1e1" }) }, {}, /config file key "duration": expected a decimal number/],
    ["config file", { config: file({ ebpfPayloadBytes: [] }) }, {}, /"ebpfPayloadBytes": expected a decimal number/],
    ["flag", { pid: "0x10" }, {}, /--pid: expected a decimal number/],
    ["flag", { duration: "1e1" }, {}, /--duration: expected a decimal number/],
    ["flag", { rpcTimeout: "Infinity" }, {}, /--rpc-timeout: expected a decimal number/],
    ["flag", { pingInterval: " " }, {}, /--ping-interval: expected a decimal number/],
    ["env", {}, { PEERWATCH_PID: "0x10" }, /PEERWATCH_PID: expected a decimal number/],
    ["env", {}, { PEERWATCH_IPC_MAX_MESSAGE_BYTES: "1e9" }, /PEERWATCH_IPC_MAX_MESSAGE_BYTES: expected a decimal number/],
  ])("rejects a coercible non-number from the %s: %j %j", (_where, flags, env, re) => {
    expect(() => loadConfig(flags as Record<string, unknown>, env)).toThrow(ConfigError);
    expect(() => loadConfig(flags as Record<string, unknown>, env)).toThrow(re);
  });

  it("takes numbers and plain decimals", () => {
    const c = loadConfig({ config: file({ rpcInterval: 2.5, pid: 42 }), duration: "1.5", rpcTimeout: "+3" }, { PEERWATCH_EBPF_PAYLOAD_BYTES: "32" });
    expect(c).toMatchObject({ rpcInterval: 2.5, pid: 42, duration: 1.5, rpcTimeout: 3, ebpfPayloadBytes: 32 });
  });
});
