// A clean stop of the IPC source says "stopped", whenever it comes: during connect, during the
// interface probe (the node still loading), or while running. It used to say "IPC connection
// lost: closed by peerwatch" (or the interrupted call's error) when the stop closed the session first.
import { describe, expect, it } from "vitest";
import { makeEvent, type Emit, type PeerwatchEvent } from "../../src/events/index.js";
import { ipcDescriptor } from "../../src/ipc/descriptor.js";
import { IpcSource } from "../../src/ipc/ipc-source.js";
import { createLogger } from "../../src/logger.js";
import { sourceConfig } from "../../src/sources/types.js";
import { Standin, standinBinary } from "../helpers/standin.js";

const bin = standinBinary();

describe.skipIf("skip" in bin)("stopping the IPC source", () => {
  it.each([0, 30, 100, 250, 600, 1200])("says stopped, not connection lost, when stopped %i ms after start", async (afterMs) => {
    // makeMining answers after 400 ms (a node still loading): stops land in connect, probe or run.
    const node = new Standin((bin as { path: string }).path, ["--mining-delay=400"]);
    await node.start();
    const statuses: { state: string; detail: string }[] = [];
    const emit: Emit = (type, data) => {
      const e = makeEvent("ipc", "t", type, data) as PeerwatchEvent;
      if (e.type === "source.status") statuses.push({ state: e.data.state, detail: e.data.detail });
    };
    // Built from the IPC source's own rows, without the CLI.
    const config = sourceConfig(ipcDescriptor, { chain: "regtest", ipcSocket: node.socket, rpcInterval: 0.05 });
    const ac = new AbortController();
    const run = new IpcSource().run({ config, emit, log: createLogger({ level: "silent", format: "json" }), signal: ac.signal });
    await new Promise((r) => setTimeout(r, afterMs));
    ac.abort();
    await run;
    await node.stop();
    expect(statuses.at(-1)).toEqual({ state: "down", detail: "stopped" });
    expect(statuses.filter((s) => s.state === "down").map((s) => s.detail)).toEqual(["stopped"]);
  });
});
