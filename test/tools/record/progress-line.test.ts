// The replay's progress line: its words, and that it is drawn on a terminal only.
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { formatProgress, showProgress } from "../../../src/tools/record/progress-line.js";

describe("replay progress line", () => {
  it("says events, events/s, percent and time left", () => {
    expect(formatProgress({ pass: 1, events: 500, fraction: 0.25, passSeconds: 2 })).toBe("replay: 500 events, 250 events/s, 25.0%, 6 s left");
    expect(formatProgress({ pass: 3, events: 10, fraction: 0.01, passSeconds: 10 })).toBe("replay pass 3: 10 events, 1 events/s, 1.0%, 16 min 30 s left");
  });

  it("draws on a terminal, with a final newline, and writes nothing on a pipe", async () => {
    const pipe = new PassThrough() as unknown as NodeJS.WriteStream;
    let piped = "";
    (pipe as unknown as PassThrough).on("data", (d: Buffer) => (piped += d.toString()));
    showProgress(pipe, () => ({ pass: 1, events: 1, fraction: 0.5, passSeconds: 1 }), 5)();
    const tty = new PassThrough() as unknown as NodeJS.WriteStream;
    (tty as { isTTY: boolean }).isTTY = true;
    let drawn = "";
    (tty as unknown as PassThrough).on("data", (d: Buffer) => (drawn += d.toString()));
    const stop = showProgress(tty, () => ({ pass: 1, events: 1, fraction: 0.5, passSeconds: 1 }), 5);
    await new Promise((r) => setTimeout(r, 30));
    stop();
    expect(piped).toBe("");
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the progress line ends with the terminal's erase-line escape
    expect(drawn).toMatch(/^\rreplay: 1 events, 1 events\/s, 50\.0%, 1 s left\x1b\[K/);
    expect(drawn.endsWith("\n")).toBe(true);
  });
});
