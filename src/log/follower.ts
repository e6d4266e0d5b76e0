// Follows a growing log file the way `tail -F` does, by polling: reads new bytes in bounded chunks,
// re-opens the path when the file was replaced (logrotate's rename, a new debug.log) and starts
// over when it shrank (truncation, the node's own ShrinkDebugFile). A named pipe is read as it
// comes, without offsets. Where it stopped is kept in a state file, so a restart resumes there.
import fs from "node:fs";
import fsp from "node:fs/promises";
import { sleep } from "../sources/abort.js";
import { LineSplitter, type SplitLine } from "./line-splitter.js";
import { readFollowState, writeFollowState, type FollowState } from "./state-file.js";

export interface FollowerOptions {
  path: string;
  /** Where the position is kept across restarts; undefined: not kept. */
  stateFile: string | undefined;
  /** Where to begin when there is no usable saved position. */
  startAt: "end" | "start";
  maxLineBytes: number;
  chunkBytes: number;
  pollMs: number;
  /** Lines handed on per second at most; reading pauses (nothing is lost) when reached. */
  maxLinesPerSecond: number;
  signal: AbortSignal;
  onLine(line: SplitLine): void;
  /**
   * The bytes about to come may repeat lines already handled (the file was truncated, or replaced
   * while peerwatch was stopped); `lastTsUs` is the newest line time handled before, if known.
   */
  onRestart(why: string, lastTsUs: number | undefined): void;
  onStatus(state: "up" | "down", detail: string): void;
  /** A file was opened and reading begins at this offset (0 for a pipe). */
  onOpened?(offset: number, fifo: boolean): void;
}

export interface FollowerStats {
  /** Times reading paused because maxLinesPerSecond was reached. */
  throttled: number;
  reopened: number;
  truncated: number;
}

/** How often the position is written at most (and once more on stop). */
const SAVE_EVERY_MS = 1000;
/** After a rotation, how long an old file that was written to lately is still read while the new one is empty. */
const ROTATION_GRACE_MS = 5000;

export class LogFollower {
  readonly stats: FollowerStats = { throttled: 0, reopened: 0, truncated: 0 };
  /** Newest line time handled (set by the caller), saved with the position. */
  lastTsUs: number | undefined;

  private fh: fsp.FileHandle | undefined;
  private fifo = false;
  private dev = 0;
  private ino = 0;
  /** File offset of the next byte to read, and of the end of the last whole line handed on. */
  private pos = 0;
  private committed = 0;
  private base = 0;
  private splitter: LineSplitter;
  private firstOpen = true;
  private savedKey = "";
  private lastSave = 0;
  private windowStart = 0;
  private windowLines = 0;
  private lastDataAt = 0;

  constructor(private readonly o: FollowerOptions) {
    this.splitter = new LineSplitter(o.maxLineBytes);
  }

  async run(): Promise<void> {
    const buf = Buffer.allocUnsafe(this.o.chunkBytes);
    try {
      while (!this.o.signal.aborted) {
        if (!this.fh && !(await this.open())) {
          await sleep(this.o.pollMs, this.o.signal);
          continue;
        }
        const n = await this.read(buf);
        if (n > 0) {
          this.lastDataAt = Date.now();
          await this.handle(buf.subarray(0, n));
          this.save(false); // at most once a second, also while the log never pauses
          continue;
        }
        this.save(false);
        if (!this.fifo) await this.checkReplaced();
        await sleep(this.o.pollMs, this.o.signal);
      }
    } finally {
      this.save(true);
      await this.fh?.close().catch(() => undefined);
      this.fh = undefined;
    }
  }

  private async open(): Promise<boolean> {
    const p = this.o.path;
    let st: fs.Stats;
    try {
      st = await fsp.stat(p);
    } catch (e) {
      this.o.onStatus("down", `waiting for ${p} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
      return false;
    }
    if (!st.isFile() && !st.isFIFO()) {
      this.o.onStatus("down", `${p} is neither a file nor a named pipe`);
      return false;
    }
    this.fifo = st.isFIFO();
    try {
      // A pipe is opened non-blocking: opening would otherwise wait for a writer, and stopping could not interrupt it.
      this.fh = await fsp.open(p, this.fifo ? fs.constants.O_RDONLY | fs.constants.O_NONBLOCK : "r");
      const fst = await this.fh.stat();
      this.dev = fst.dev;
      this.ino = fst.ino;
      this.startAt(this.fifo ? 0 : this.firstOffset(fst));
    } catch (e) {
      await this.fh?.close().catch(() => undefined);
      this.fh = undefined;
      this.o.onStatus("down", `cannot read ${p} (${(e as NodeJS.ErrnoException).code ?? String(e)}): run peerwatch as a user that may read the node's log`);
      return false;
    }
    this.o.onStatus("up", this.fifo ? `reading the named pipe ${p}` : `following ${p} from byte ${this.pos}`);
    this.o.onOpened?.(this.pos, this.fifo);
    this.firstOpen = false;
    return true;
  }

  /** Where to begin in the file just opened. */
  private firstOffset(fst: fs.Stats): number {
    if (!this.firstOpen) {
      this.o.onRestart(`${this.o.path} was replaced (rotated): reading the new file from its start`, this.lastTsUs);
      return 0;
    }
    const saved: FollowState | undefined = this.o.stateFile ? this.loadState() : undefined;
    if (saved && saved.path === this.o.path) {
      this.lastTsUs = saved.lastTsUs;
      if (saved.dev === fst.dev && saved.ino === fst.ino && saved.offset <= fst.size) return saved.offset;
      const why = saved.dev === fst.dev && saved.ino === fst.ino ? "shrank" : "was replaced";
      this.o.onRestart(
        `${this.o.path} ${why} while peerwatch was stopped: reading it from its start, skipping lines older than the last one handled`,
        saved.lastTsUs,
      );
      return 0;
    }
    return this.o.startAt === "end" ? fst.size : 0;
  }

  private loadState(): FollowState | undefined {
    const r = readFollowState(this.o.stateFile as string);
    if (r.problem) this.o.onStatus("down", r.problem);
    return r.state;
  }

  private startAt(offset: number): void {
    this.pos = offset;
    this.committed = offset;
    this.base = offset;
    this.splitter.reset();
  }

  private async read(buf: Buffer): Promise<number> {
    const fh = this.fh as fsp.FileHandle;
    try {
      const { bytesRead } = await fh.read(buf, 0, buf.length, this.fifo ? null : this.pos);
      this.pos += bytesRead;
      return bytesRead;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EAGAIN" || code === "EWOULDBLOCK") return 0; // pipe: nothing written yet
      this.o.onStatus("down", `reading ${this.o.path} failed (${code ?? String(e)}): re-opening`);
      await fh.close().catch(() => undefined);
      this.fh = undefined;
      return 0;
    }
  }

  private async handle(chunk: Buffer): Promise<void> {
    for (const line of this.splitter.push(chunk)) {
      await this.pace();
      this.committed = this.base + line.end;
      this.o.onLine(line);
      if (this.o.signal.aborted) return;
    }
  }

  /** At most maxLinesPerSecond lines per second: wait out the second when they are used up. */
  private async pace(): Promise<void> {
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.windowLines = 0;
    }
    if (++this.windowLines <= this.o.maxLinesPerSecond) return;
    this.stats.throttled++;
    await sleep(1000 - (now - this.windowStart), this.o.signal);
    this.windowStart = Date.now();
    this.windowLines = 1;
  }

  /** At the end of the data: has the path been given to another file, or has this one shrunk? */
  private async checkReplaced(): Promise<void> {
    let st: fs.Stats | undefined;
    try {
      st = await fsp.stat(this.o.path);
    } catch {
      return; // renamed away and not yet re-created: keep reading the old file until it is
    }
    if (st.dev !== this.dev || st.ino !== this.ino) {
      // logrotate creates the new file before the node reopens (SIGHUP); until the node writes to
      // the new one it may still write to the old one, so stay while the new file is empty and the
      // old one was written to lately.
      if (st.size === 0 && Date.now() - this.lastDataAt < ROTATION_GRACE_MS) return;
      // Everything the old file held has been read (read returned 0): switch to the new one.
      this.stats.reopened++;
      await this.fh?.close().catch(() => undefined);
      this.fh = undefined;
      return;
    }
    const fst = await (this.fh as fsp.FileHandle).stat().catch(() => undefined);
    if (fst && fst.size < this.pos) {
      this.stats.truncated++;
      this.o.onRestart(`${this.o.path} shrank from ${this.pos} to ${fst.size} bytes (truncated): reading it again from its start`, this.lastTsUs);
      this.startAt(0);
    }
  }

  private save(force: boolean): void {
    if (!this.o.stateFile || this.fifo || this.ino === 0) return;
    const state: FollowState = {
      path: this.o.path,
      dev: this.dev,
      ino: this.ino,
      offset: this.committed,
      ...(this.lastTsUs !== undefined ? { lastTsUs: this.lastTsUs } : {}),
    };
    const key = JSON.stringify(state);
    if (key === this.savedKey || (!force && Date.now() - this.lastSave < SAVE_EVERY_MS)) return;
    try {
      writeFollowState(this.o.stateFile, state);
      this.savedKey = key;
      this.lastSave = Date.now();
    } catch (e) {
      this.o.onStatus(
        "up",
        `following ${this.o.path}, but cannot save the position to ${this.o.stateFile} (${(e as NodeJS.ErrnoException).code ?? String(e)}): a restart will ` +
          `start at the end`,
      );
    }
  }
}
