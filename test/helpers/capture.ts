// Paths to the shared real-session capture (../shared/data/regtest-capture) beside the repo.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CAPTURE_DIR = path.resolve(REPO_ROOT, "../shared/data/regtest-capture");

export function captureFile(name: string): string {
  const p = path.join(CAPTURE_DIR, name);
  if (!fs.existsSync(p)) throw new Error(`capture file ${p} is missing: the shared/ folder must sit beside the repo`);
  return p;
}

export function captureJson(name: string): unknown {
  return JSON.parse(fs.readFileSync(captureFile(name), "utf8"));
}
