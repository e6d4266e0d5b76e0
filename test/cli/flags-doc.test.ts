// README's flag tables and `--help` come from the same option table; this checks they agree in
// both directions, defaults included, for every command.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { COMMANDS, buildProgram } from "../../src/cli/main.js";
import { REPO_ROOT } from "../helpers/capture.js";

const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");

/** `--flag <arg>` → default text, from the README table of a command. */
function readmeFlags(command: string): Map<string, string> {
  const block = new RegExp(`<!-- flags:${command} -->([\\s\\S]*?)<!-- /flags:${command} -->`).exec(readme)?.[1] ?? "";
  const out = new Map<string, string>();
  for (const line of block.split("\n")) {
    const m = /^\| `(--[^`]+)` \| (.*?) \| /.exec(line);
    if (m) out.set((m[1] as string).replace(/\\\|/g, "|"), (m[2] as string).replace(/^`|`$/g, "").replace(/\\\|/g, "|"));
  }
  return out;
}

/** `--flag <arg>` → default text, from the command's --help. */
function helpFlags(command: string): Map<string, string> {
  const program = buildProgram();
  const cmd = program.commands.find((c) => c.name() === command);
  if (!cmd) throw new Error(`no command ${command}`);
  cmd.configureHelp({ helpWidth: 10_000 });
  const out = new Map<string, string>();
  for (const line of cmd.helpInformation().split("\n")) {
    const m = /^\s+(--[a-z0-9-]+(?: <[^>]+>)?)\s{2,}(.*)$/.exec(line);
    if (!m || m[1] === "--help") continue;
    const def = /\(default: (.*?)(?:; env [A-Z0-9_]+)?\)$/.exec(m[2] as string)?.[1] ?? "none";
    out.set(m[1] as string, def);
  }
  return out;
}

describe("README flag tables", () => {
  it.each(COMMANDS.map((c) => c.name))("%s: README and --help list the same flags with the same defaults", (name) => {
    const fromReadme = readmeFlags(name);
    const fromHelp = helpFlags(name);
    expect(fromHelp.size).toBeGreaterThan(0);
    expect([...fromReadme.keys()].sort()).toEqual([...fromHelp.keys()].sort());
    for (const [flag, def] of fromHelp) expect({ flag, def: fromReadme.get(flag) }).toEqual({ flag, def });
  });

  it("is what scripts/gen-flags-doc.mjs writes (regenerate after changing an option row)", () => {
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, "scripts/gen-flags-doc.mjs"), "--check"], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});
