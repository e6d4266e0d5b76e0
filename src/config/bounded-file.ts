// Reads a small settings file (config, alert thresholds, IP lists, cookie, pid file) with a hard
// byte limit. The file is opened without blocking and must be a regular file: `stat`'s size is not
// trusted (a FIFO hung peerwatch before any output, /dev/zero reports size 0 and made it read 2 GB);
// the read itself stops one byte past the limit.
import fs from "node:fs";

export class SettingsFileError extends Error {
  override name = "SettingsFileError";
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** The whole file as UTF-8, or a SettingsFileError naming `what` and `file`. */
export function readBoundedFile(file: string, maxBytes: number, what: string): string {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SettingsFileError(`cannot read ${what} ${file}: ${code ?? (e as Error).message}`, code);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new SettingsFileError(`${what} ${file} is not a regular file (${kindOf(st)})`, "ENOTREG");
    const buf = Buffer.alloc(Math.min(maxBytes + 1, 64 * 1024));
    const parts: Buffer[] = [];
    let total = 0;
    for (;;) {
      const n = fs.readSync(fd, buf, 0, Math.min(buf.length, maxBytes + 1 - total), null);
      if (n === 0) break;
      parts.push(Buffer.from(buf.subarray(0, n)));
      total += n;
      if (total > maxBytes) throw new SettingsFileError(`${what} ${file} is larger than ${maxBytes} bytes`, "EFBIG");
    }
    return Buffer.concat(parts, total).toString("utf8");
  } catch (e) {
    if (e instanceof SettingsFileError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new SettingsFileError(`cannot read ${what} ${file}: ${code ?? (e as Error).message}`, code);
  } finally {
    fs.closeSync(fd);
  }
}

function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a file";
}
