// The live view marks what comes from a recording: which pass of a looping replay each block is
// from (a loop's heights starting over are not a reorg), and the recording's sources as replayed.
import { describe, expect, it } from "vitest";
import { makeEvent } from "../../../src/events/index.js";
import { PrefixTree } from "../../../src/iplists/prefix-tree.js";
import { LiveView } from "../../../src/tools/web/live-view.js";
import { T0 } from "../../helpers/recording.js";

const block = (height: number, ts: number) =>
  makeEvent("ipc", "n", "block.connected", { height, hash: height.toString(16).padStart(64, "0"), txs: 1, inputs: 1, sigops: 0, connectNs: 1e6 }, ts);
const replay = (state: "up" | "down", detail: string) => makeEvent("replay", "n", "source.status", { source: "replay", state, detail });

describe("live view in a looping replay", () => {
  it("numbers the passes, tags each block with its pass, starts the tip over, and marks recorded sources replayed", () => {
    const v = new LiveView(new PrefixTree());
    v.handle(makeEvent("ipc", "n", "source.status", { source: "ipc", state: "up", detail: "live" }, T0));
    expect(v.snapshot().sources.find((s) => s.source === "ipc")?.replayed).toBe(false);
    v.handle(replay("up", "replaying"));
    v.handle(makeEvent("ipc", "n", "source.status", { source: "ipc", state: "up", detail: "recorded" }, T0));
    v.handle(block(131, T0 + 1));
    v.handle(block(132, T0 + 2));
    v.handle(replay("up", "pass 2: replaying again"));
    v.handle(block(131, T0 + 10));
    const s = v.snapshot();
    expect(s.replay).toMatchObject({ active: true, pass: 2 });
    expect(s.blocks.map((b) => [b.height, b.pass])).toEqual([
      [131, 2],
      [132, 1],
      [131, 1],
    ]);
    expect(s.tip).toMatchObject({ height: 131, pass: 2 });
    expect(s.sources.find((x) => x.source === "ipc")).toMatchObject({ state: "up", replayed: true });
    expect(s.sources.find((x) => x.source === "replay")?.replayed).toBe(false);
    v.handle(replay("down", "stopped"));
    expect(v.snapshot().replay).toMatchObject({ active: false, pass: 0 });
  });
});
