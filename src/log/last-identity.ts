// Who wrote the log, when following starts at its end: the node's session began earlier, so its
// version line is behind us. This reads the file backwards in bounded chunks to the last startup
// line ("Bitcoin Core version …") and notes whether that session listened for IPC (bitcoin-node).
import fsp from "node:fs/promises";
import { LogParser } from "./line-kinds.js";
import type { LogFact } from "./line-kinds.js";

const CHUNK = 64 * 1024;

/** The node.info of the log's last session before byte `upTo`, reading at most `maxBytes` back. */
export async function lastIdentity(file: string, upTo: number, chain: string | undefined, maxBytes = 16 * 1024 * 1024): Promise<LogFact<"node.info">[]> {
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(file, "r");
    const size = Math.min(upTo, (await fh.stat()).size);
    let end = size;
    let carry = Buffer.alloc(0);
    let ipcListening = false;
    const buf = Buffer.allocUnsafe(CHUNK);
    while (end > 0 && size - end < maxBytes) {
      const start = Math.max(0, end - CHUNK);
      const { bytesRead } = await fh.read(buf, 0, end - start, start);
      let data = Buffer.concat([buf.subarray(0, bytesRead), carry]);
      // Keep the first (possibly partial) line for the next round unless this is the file's start.
      const firstNl = start === 0 ? -1 : data.indexOf(0x0a);
      carry = firstNl === -1 ? Buffer.alloc(0) : Buffer.from(data.subarray(0, firstNl));
      data = firstNl === -1 ? data : data.subarray(firstNl + 1);
      if (carry.length > CHUNK) carry = Buffer.alloc(0); // a giant line is no version line
      const lines = data.toString("utf8").split("\n").reverse();
      for (const line of lines) {
        if (line.includes("Listening for IPC requests on address ")) ipcListening = true;
        if (!line.includes(" version ")) continue;
        const parser = new LogParser(chain);
        const r = parser.parse(line);
        if (r.kind !== "version") continue;
        const facts = ipcListening ? parser.multiprocess() : r.facts;
        return facts.filter((f): f is LogFact<"node.info"> => f.type === "node.info");
      }
      end = start;
    }
    return [];
  } catch {
    return []; // unreadable now: the follower reports that
  } finally {
    await fh?.close().catch(() => undefined);
  }
}
