// Paths to the real regtest session capture kept in the repo (test/fixtures/regtest-capture).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CAPTURE_DIR = path.join(REPO_ROOT, "test/fixtures/regtest-capture");

export function captureFile(name: string): string {
  const p = path.join(CAPTURE_DIR, name);
  if (!fs.existsSync(p)) throw new Error(`capture file ${p} is missing from the repository (test/fixtures/regtest-capture)`);
  return p;
}

export function captureJson(name: string): unknown {
  return JSON.parse(fs.readFileSync(captureFile(name), "utf8"));
}
