// The test helper that drives the stand-in: a command sent as the stand-in dies (a drill kills it
// while traffic still flows) must fail that call, not raise EPIPE as an uncaught exception of the run.
import { describe, expect, it } from "vitest";
import { reportSkip } from "../helpers/skip.js";
import { Standin, standinBinary } from "../helpers/standin.js";

const bin = standinBinary();
const skip = "skip" in bin;

describe.skipIf(skip)("the stand-in helper", () => {
  it("refuses a command to a stand-in that is gone, and a write racing its death raises nothing uncaught", async () => {
    const node = new Standin((bin as { path: string }).path);
    await node.start();
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.on("uncaughtException", onUncaught);
    try {
      expect(await node.send("stats")).toMatch(/^stats/);
      // Writes issued as the process is killed: each is answered or fails (no answer, or EPIPE later on
      // the stdin stream), whichever the race gives; none may surface as an uncaught exception.
      const killed = node.kill();
      const racing = await Promise.all(["stats", "trace 1 0", "stats"].map((c) => node.send(c, 500).catch((e: Error) => e)));
      await killed;
      for (const r of racing) expect(r instanceof Error || /^(ok|stats)/.test(r)).toBe(true);
      await expect(node.send("stats")).rejects.toThrow(/stand-in is not running: cannot send "stats"/);
      await new Promise((r) => setTimeout(r, 200)); // let a late EPIPE surface
      expect(uncaught).toEqual([]);
    } finally {
      process.off("uncaughtException", onUncaught);
      await node.stop();
    }
  });
});

if (skip) reportSkip("the stand-in helper", (bin as { skip: string }).skip);
