// The log source's view of whether the node still runs (src/log/node-presence.ts): the sequences a
// real node's restart produced in the fault drill, without the node.
import { describe, expect, it } from "vitest";
import { NodePresence, type PresenceChange } from "../../src/log/node-presence.js";

function presence(now = 1_800_000_000_000) {
  let found: { pid: number; from: string } | { pid: undefined; why: string } = { pid: 100, from: "bitcoind.pid" };
  const changes: PresenceChange[] = [];
  const p = new NodePresence(
    () => found,
    (c) => changes.push(c),
    () => now,
  );
  return {
    p,
    changes,
    set: (pid: number | undefined) =>
      (found = pid === undefined ? { pid: undefined, why: "no process with PID 100 (from bitcoind.pid)" } : { pid, from: "bitcoind.pid" }),
  };
}

describe("node presence", () => {
  it("one restart is one down and one up, when the startup line comes before the new PID is seen", () => {
    const { p, changes, set } = presence();
    p.check();
    set(undefined);
    p.check();
    expect(changes).toEqual([]); // one miss: a PID file being written reads as none for a moment
    p.check();
    p.onLine("version", 1_800_000_000_000 * 1000);
    set(200);
    p.check();
    p.check();
    expect(changes.map((c) => c.gone)).toEqual([true, false]);
    expect(changes[0]?.detail).toBe("the node is gone: no process with PID 100 (from bitcoind.pid)");
    expect(changes[1]?.detail).toBe("the node started again (its startup line is in the log)");
  });

  it("a new PID between two checks, with no line in between, is a restart: down, then up", () => {
    const { p, changes, set } = presence();
    p.check();
    set(200);
    p.check();
    expect(changes).toEqual([
      { gone: true, detail: "the node restarted: PID 100 is gone" },
      { gone: false, detail: "the node runs again (PID 200 from bitcoind.pid)" },
    ]);
  });

  it("a shutdown line is news only when it is fresh", () => {
    const now = 1_800_000_000_000;
    const { p, changes } = presence(now);
    p.onLine("shutdown-done", (now - 10 * 60_000) * 1000);
    expect(changes).toEqual([]);
    p.onLine("shutdown-done", (now - 1000) * 1000);
    expect(changes.map((c) => c.gone)).toEqual([true]);
  });
});
