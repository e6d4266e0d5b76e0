#!/usr/bin/env node
// `npm start` builds only when a build input changed since the last build (npm install builds
// through `prepare`), so a second start is quick. `--stamp` (the end of `npm run build`) marks
// the build done. Inputs: src/, schema/, the tsconfig files and the schema generator.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const stamp = path.join(root, "dist/.built");
const INPUTS = ["src", "schema", "tsconfig.json", "tsconfig.build.json", "scripts/gen-schema.mjs"];

/** Newest modification time (ms) under the inputs; the file that has it, for the message. */
function newestInput() {
  let newest = { ms: 0, file: "" };
  const walk = (p) => {
    let st;
    try {
      st = fs.statSync(p);
    } catch {
      return; // an input a checkout does not have
    }
    if (st.isDirectory()) for (const name of fs.readdirSync(p)) walk(path.join(p, name));
    else if (st.mtimeMs > newest.ms) newest = { ms: st.mtimeMs, file: path.relative(root, p) };
  };
  for (const i of INPUTS) walk(path.join(root, i));
  return newest;
}

if (process.argv.includes("--stamp")) {
  fs.mkdirSync(path.dirname(stamp), { recursive: true });
  fs.writeFileSync(stamp, `${new Date().toISOString()}\n`);
  process.exit(0);
}

let built = 0;
try {
  built = fs.statSync(stamp).mtimeMs;
} catch {
  // never built here
}
const newest = newestInput();
if (built > 0 && newest.ms <= built) process.exit(0);
console.error(built === 0 ? "build-if-stale: no build yet: building" : `build-if-stale: ${newest.file} changed since the last build: building`);
const r = spawnSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: "inherit" });
process.exit(r.status ?? 1);
