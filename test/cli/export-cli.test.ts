// `peerwatch export` as a user runs it: the built CLI turning binary recordings (and NDJSON ones)
// into the NDJSON lines a live run writes; bad records told with their place; usage errors exit 2.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { USAGE_ERROR } from "../../src/cli/main.js";
import { REPO_ROOT } from "../helpers/capture.js";
import { runCli } from "../helpers/cli.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-export-"));
const SHIPPED = path.join(REPO_ROOT, "data/regtest-demo.ndjson.gz");
const pwb = path.join(dir, "replayed.pwb.gz");
const ndjson = path.join(dir, "replayed.ndjson");

const lines = (text: string) => text.split("\n").filter(Boolean);
/** The recorded node's lines: the replay's own status events carry the time of the replay. */
const recorded = (ls: string[]) => ls.filter((l) => !l.includes('"source":"replay"'));

beforeAll(async () => {
  // The same replay recorded both ways, through the CLI (so --events x.pwb.gz is wired in).
  for (const out of [pwb, ndjson]) {
    const r = await runCli(["replay", SHIPPED, "--speed", "max", "--metrics", "off", "--log-level", "warn", "--events", out], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
  }
});

describe("peerwatch export", () => {
  it("writes a binary recording as the NDJSON lines the same run wrote as NDJSON", async () => {
    expect([...fs.readFileSync(pwb).subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    expect(zlib.gunzipSync(fs.readFileSync(pwb)).subarray(0, 4).toString("latin1")).toBe("PWB1");
    const r = await runCli(["export", pwb], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    const want = recorded(lines(fs.readFileSync(ndjson, "utf8")));
    expect(want.length).toBeGreaterThan(4000);
    expect(recorded(lines(r.stdout))).toEqual(want);
  });

  it("--out writes a file (gzip for .gz), and NDJSON recordings export as their own lines", async () => {
    const out = path.join(dir, "out.ndjson.gz");
    const r = await runCli(["export", SHIPPED, "--out", out], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("");
    expect(lines(zlib.gunzipSync(fs.readFileSync(out)).toString("utf8"))).toEqual(lines(zlib.gunzipSync(fs.readFileSync(SHIPPED)).toString("utf8")));
  });

  it("tells a bad record with its file and byte offset, exports the rest, and counts what it skipped", async () => {
    const plain = zlib.gunzipSync(fs.readFileSync(pwb));
    // Break the first record's body (after the header and its 5-byte frame head): 0xc1 is never valid MessagePack.
    const headerBytes = 8 + plain.readUInt16LE(6);
    const broken = Buffer.from(plain);
    broken[headerBytes + 5] = 0xc1;
    const f = path.join(dir, "broken.pwb");
    fs.writeFileSync(f, broken);
    const r = await runCli(["export", f], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`peerwatch export: skipped ${f}:byte ${headerBytes} (record 1): record does not decode`);
    expect(r.stderr).toMatch(/events written; 1 bad records or lines skipped/);
    expect(lines(r.stdout).length).toBeGreaterThan(1000);
  });

  it.each([
    [["export"], /give the recordings to export/],
    [["export", path.join(dir, "missing.pwb")], /cannot read .*missing\.pwb: ENOENT/],
    [["export", SHIPPED, "--out", path.join(dir, "x.pwb")], /export writes NDJSON/],
    [["export", "--bogus", SHIPPED], /unknown option '--bogus'/],
  ])("usage error %j exits 2", async (args, message) => {
    const r = await runCli(args as string[]);
    expect(r.code, r.stderr).toBe(USAGE_ERROR);
    expect(r.stderr).toMatch(message);
  });

  it("a file without a single event exits 2 and says so", async () => {
    const f = path.join(dir, "junk.pwb");
    fs.writeFileSync(f, "not a recording\n");
    const r = await runCli(["export", f]);
    expect(r.code).toBe(USAGE_ERROR);
    expect(r.stderr).toMatch(/no events in .*junk\.pwb \(1 bad records or lines\)/);
  });
});
