// Waiting on the stop signal without leaving listeners on it: sources wait on one long-lived signal
// once per reconnection.
import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { aborted, unlessAborted } from "../../src/sources/abort.js";

describe("unlessAborted", () => {
  it("gives the promise's value and leaves no listener on the signal, however often it is used", async () => {
    const ac = new AbortController();
    for (let i = 0; i < 20; i++) expect(await unlessAborted(Promise.resolve(i), ac.signal)).toBe(i);
    await expect(unlessAborted(Promise.reject(new Error("boom")), ac.signal)).rejects.toThrow("boom");
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(0);
    // what the IPC source did before: a race with aborted() keeps one listener per use
    for (let i = 0; i < 3; i++) await Promise.race([Promise.resolve(i), aborted(ac.signal)]);
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(3);
  });

  it("gives undefined when the signal aborts first, or has already", async () => {
    const ac = new AbortController();
    const never = new Promise<number>(() => {});
    const waiting = unlessAborted(never, ac.signal);
    ac.abort();
    expect(await waiting).toBeUndefined();
    expect(await unlessAborted(Promise.resolve(1), ac.signal)).toBeUndefined();
  });
});
