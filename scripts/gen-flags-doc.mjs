#!/usr/bin/env node
// Writes the flag table of each `peerwatch` command into README.md between its markers
// (`<!-- flags:observe -->` … `<!-- /flags:observe -->`), from the same option table that makes
// `--help`. A test checks that README and --help agree.
// Usage: node scripts/gen-flags-doc.mjs [--check]   (needs `npm run build` first)
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { COMMANDS } = await import(path.join(root, "dist/cli/main.js"));
const { flagsBlock } = await import(path.join(root, "dist/cli/flags-doc.js"));

const readme = path.join(root, "README.md");
let text = fs.readFileSync(readme, "utf8");
const stale = [];
for (const cmd of COMMANDS) {
  const re = new RegExp(`<!-- flags:${cmd.name} -->[\\s\\S]*?<!-- /flags:${cmd.name} -->`);
  if (!re.test(text)) {
    stale.push(`${cmd.name}: no <!-- flags:${cmd.name} --> block in README.md`);
    continue;
  }
  const next = text.replace(re, () => flagsBlock(cmd.name, cmd.table));
  if (next !== text) stale.push(`${cmd.name}: table out of date`);
  text = next;
}
if (process.argv.includes("--check")) {
  if (stale.length) {
    console.error(`README.md flag tables are stale (${stale.join("; ")}): run node scripts/gen-flags-doc.mjs`);
    process.exit(1);
  }
} else {
  fs.writeFileSync(readme, text);
  console.log(stale.length ? `README.md: updated ${stale.join("; ")}` : "README.md: flag tables current");
}
