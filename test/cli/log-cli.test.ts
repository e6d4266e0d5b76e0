// `peerwatch observe --sources log` as a user runs it, against a datadir whose debug.log the test
// writes while peerwatch runs (lines of the real regtest capture), and a restart that resumes.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { PeerwatchEvent } from "../../src/events/index.js";
import { captureFile } from "../helpers/capture.js";
import { LiveCli } from "../helpers/cli.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-logcli-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const real = fs.readFileSync(captureFile("debug.log"), "utf8").split("\n").filter(Boolean);
const log = path.join(dir, "regtest", "debug.log");
const args = [
  "observe",
  "--sources",
  "log",
  "--chain",
  "regtest",
  "--datadir",
  dir,
  "--events",
  "-",
  "--metrics",
  "off",
  "--log-state",
  path.join(dir, "state.json"),
];
const isUp = (e: PeerwatchEvent) => e.type === "source.status" && e.data.source === "log" && e.data.state === "up";

describe("peerwatch observe --sources log", () => {
  it("prints connection and block events from a growing debug.log, and resumes after a restart without repeating", async () => {
    fs.mkdirSync(path.dirname(log), { recursive: true });
    fs.writeFileSync(log, real.slice(0, 120).join("\n") + "\n");
    const first = new LiveCli(args);
    await first.waitFor(isUp);
    // The node goes on: the inbound peer connects, blocks are mined.
    for (let i = 120; i < 600; i += 60) fs.appendFileSync(log, real.slice(i, i + 60).join("\n") + "\n");
    const conn = await first.waitFor((e) => e.type === "net.connection");
    expect(conn).toMatchObject({ source: "log", data: { kind: "inbound", peerId: 0, addr: "127.0.0.1:51350", transport: "v2", version: 70017 } });
    await first.waitFor((e) => e.type === "block.seen");
    const tipsIn = (from: number, to: number) => real.slice(from, to).filter((l) => l.includes("] UpdateTip: ")).length;
    await first.waitFor(() => first.events.filter((e) => e.type === "tip.changed").length === tipsIn(120, 600));
    await new Promise((r) => setTimeout(r, 1500)); // the position is saved once a second
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    const firstTips = first.events.filter((e) => e.type === "tip.changed");
    expect(firstTips.every((e) => e.source === "log")).toBe(true);

    // Written while peerwatch is down, then more after it is back.
    fs.appendFileSync(log, real.slice(600, 700).join("\n") + "\n");
    const second = new LiveCli(args);
    await second.waitFor(isUp);
    fs.appendFileSync(log, real.slice(700, 800).join("\n") + "\n");
    await second.waitFor(() => second.events.filter((e) => e.type === "tip.changed").length === tipsIn(600, 800));
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    const h = (e: PeerwatchEvent) => (e as PeerwatchEvent<"tip.changed">).data.height;
    const secondTips = second.events.filter((e) => e.type === "tip.changed");
    expect(h(secondTips[0] as PeerwatchEvent)).toBe(h(firstTips.at(-1) as PeerwatchEvent) + 1);
    expect(second.events.some((e) => e.type === "log.lines")).toBe(true);
  }, 60_000);
});
