// Where the log follower stopped: file identity (device, inode) and the offset after the last whole
// line it handled. Read on start so a restarted peerwatch resumes there instead of re-emitting old
// lines; written atomically (temp file + rename) so a crash never leaves half a state.
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { type SettingsFileError, readBoundedFile } from "../config/bounded-file.js";

export const followState = z.object({
  path: z.string().max(4096),
  dev: z.number().int().min(0),
  ino: z.number().int().min(0),
  offset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  /** Time of the newest line handled (µs): lines older than it are not emitted twice after a truncation. */
  lastTsUs: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});
export type FollowState = z.infer<typeof followState>;

/** Reads the state; undefined when there is none. A broken file is reported, not fatal. */
export function readFollowState(file: string): { state?: FollowState; problem?: string } {
  let text: string;
  try {
    text = readBoundedFile(file, 64 * 1024, "state file");
  } catch (e) {
    const code = (e as SettingsFileError).code;
    return code === "ENOENT" ? {} : { problem: `${(e as Error).message}; starting without it` };
  }
  try {
    const r = followState.safeParse(JSON.parse(text));
    if (r.success) return { state: r.data };
    return { problem: `state file ${file} does not hold a log position; starting without it` };
  } catch {
    return { problem: `state file ${file} is not JSON; starting without it` };
  }
}

export function writeFollowState(file: string, state: FollowState): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state) + "\n", { mode: 0o600 });
  fs.renameSync(tmp, file);
}
