// What a newcomer types wrong gets exit code 2 and a message that says what is accepted; --help of
// every command carries real examples that parse; a file that is not a recording is summarised
// after a few lines instead of echoed line by line.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { COMMANDS, USAGE_ERROR, buildProgram } from "../../src/cli/main.js";
import { EXAMPLES } from "../../src/cli/help-examples.js";
import { BAD_LINES_SHOWN } from "../../src/tools/record/run.js";
import { loadSettings } from "../../src/config/load.js";
import { runCli } from "../helpers/cli.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-usage-"));

describe("usage errors exit 2", () => {
  it.each([
    [["observe", "--bogus"], /unknown option '--bogus'/],
    [["replay", "--speed"], /option '--speed <n\|max>' argument missing/],
    [["tools", "--nats"], /argument missing/],
    [["nonsense-command"], /unknown command 'nonsense-command'/],
    [["observe", "extra-argument"], /too many arguments/],
    [["export", "--out"], /option '--out <file>' argument missing/],
  ])("peerwatch %j", async (args, message) => {
    const r = await runCli(args as string[]);
    expect(r.code, r.stderr).toBe(USAGE_ERROR);
    expect(r.stderr).toMatch(message);
  });

  it("--help and --version still exit 0", async () => {
    for (const args of [["--help"], ["--version"], ["observe", "--help"]]) expect((await runCli(args)).code).toBe(0);
  });

  it("--log-level loud names the levels (fatal among them, as documented) instead of zod's raw text", async () => {
    const r = await runCli(["observe", "--log-level", "loud"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("peerwatch observe: --log-level: expected one of trace, debug, info, warn, error, fatal, silent");
    const help = buildProgram()
      .commands.find((c) => c.name() === "observe")!
      .helpInformation();
    expect(help.replace(/\s+/g, " ")).toMatch(/--log-level <level> trace, debug, info, warn, error, fatal or silent/);
    const ok = await runCli(["observe", "--log-level", "fatal", "--no-demo", "--metrics", "off", "--duration", "0.2", "--datadir", dir]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toBe(""); // fatal: nothing short of a crash is logged
  });

  it("--web nonsense suggests the page's own port, --metrics nonsense the metrics port", async () => {
    const w = await runCli(["observe", "--web", "nonsense"]);
    expect(w.code).toBe(2);
    expect(w.stderr).toMatch(/--web: expected host:port \(e\.g\. 127\.0\.0\.1:9433\), got "nonsense"/);
    const m = await runCli(["replay", "x.ndjson", "--metrics", "nonsense"]);
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/--metrics: expected host:port \(e\.g\. 127\.0\.0\.1:9432\), got "nonsense"/);
  });
});

describe("--help examples", () => {
  it.each(COMMANDS.map((c) => c.name))("%s: two or three real examples that parse against its flags", async (name) => {
    const examples = EXAMPLES[name] ?? [];
    expect(examples.length).toBeGreaterThanOrEqual(2);
    expect(examples.length).toBeLessThanOrEqual(3);
    const help =
      buildProgram()
        .commands.find((c) => c.name() === name)!
        .helpInformation() + "";
    const full = (() => {
      let out = "";
      const program = buildProgram();
      const cmd = program.commands.find((c) => c.name() === name)!;
      cmd.configureOutput({ writeOut: (s) => (out += s) });
      cmd.outputHelp();
      return out;
    })();
    expect(help.length).toBeGreaterThan(0);
    for (const line of examples) {
      expect(full).toContain(line);
      const argv = line
        .replace(/\s+#.*$/, "")
        .trim()
        .split(/\s+/);
      expect(argv[0]).toBe("peerwatch");
      expect(argv[1]).toBe(name);
      const program = buildProgram().exitOverride();
      program.configureOutput({ writeErr: () => {}, writeOut: () => {} });
      const spec = COMMANDS.find((c) => c.name === name)!;
      let opts: Record<string, unknown> | undefined;
      const cmd = program.commands.find((c) => c.name() === name)!;
      cmd.exitOverride().action((...a: unknown[]) => {
        opts = a[a.length - 2] as Record<string, unknown>;
      });
      await program.parseAsync(["node", ...argv]);
      expect(opts, line).toBeDefined();
      // Every value is one the command's option table accepts.
      const settings = Object.fromEntries(Object.entries(opts!).filter(([k]) => !spec.table[k]?.flagOnly));
      expect(() => loadSettings(spec.table, settings, {}), line).not.toThrow();
    }
  });
});

describe("replaying a file that is not a recording", () => {
  it(`tells the first ${BAD_LINES_SHOWN} bad lines without echoing binary, then only a summary`, async () => {
    const garbage = path.join(dir, "garbage.bin");
    // Deterministic binary junk with a newline every ~50 bytes: some 400 bad lines.
    const bytes = Buffer.alloc(20_000);
    let x = 12345;
    for (let i = 0; i < bytes.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      bytes[i] = i % 50 === 49 ? 10 : x >>> 24;
    }
    fs.writeFileSync(garbage, bytes);
    const r = await runCli(["replay", garbage, "--metrics", "off", "--speed", "max"]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split("\n");
    const told = lines.filter((l) => /skipped: /.test(l));
    expect(told.length).toBe(BAD_LINES_SHOWN);
    // up, ready, the bad lines, "further …", the summary, down, "no events": a dozen lines, not hundreds.
    expect(lines.length).toBeLessThanOrEqual(BAD_LINES_SHOWN + 7);
    expect(r.stderr).toMatch(/further bad lines are counted, not shown/);
    expect(r.stderr).toMatch(/replay finished: 0 events; \d{3} bad line\(s\) skipped/);
    expect(r.stderr).toMatch(/no events in .*garbage\.bin: nothing was replayed/);
    // Messages are printable: no control bytes or replacement characters from the junk.
    expect(told.join("\n")).not.toMatch(/\\u00|\\ufffd|�/);
  });
});
