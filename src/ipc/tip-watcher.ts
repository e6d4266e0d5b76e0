// Pushes tip.changed from Mining.waitTipChanged, on a server thread of its own so the blocking
// wait does not hold up other calls. Each wait is bounded (the node returns the same tip on
// timeout) so a silent connection is noticed. stop() calls Mining.interrupt() so the pending wait
// returns at once instead of at its timeout.
//
// waitTipChanged returns the tip, not each block: blocks connected together (generatetoaddress 3,
// a peer's batch of blocks) come as one jump. The jump is reported, not hidden: `skipped` counts the
// heights passed over and, for a jump of up to MAX_LOOKUP heights, `skippedBlocks` names them
// (getblockhash over executeRpc), so tools can tell a coalesced block from a missed one.
import type { RpcTransport } from "../codecs/jsonrpc/transport.js";
import { displayHex, nowMicros, type Emit } from "../events/index.js";
import type { Mining$Client } from "./generated/mining.js";
import type { Thread$Client } from "./generated/mp/proxy.js";
import { IpcError, IpcSession } from "./session.js";

/** How long one waitTipChanged may block on the node (ms). */
export const WAIT_TIMEOUT_MS = 60_000;
/** Largest jump whose blocks are looked up one by one (~1 ms each); a longer one (IBD) is only counted. */
export const MAX_LOOKUP = 16;

export interface SkippedBlock {
  height: number;
  hash: string;
}

/** The hashes of heights from+1 … to−1 on the node's active chain, or undefined when one cannot be read. */
export async function lookupSkipped(rpc: RpcTransport, from: number, to: number, timeoutMs: number): Promise<SkippedBlock[] | undefined> {
  const heights = Array.from({ length: to - from - 1 }, (_, i) => from + 1 + i);
  try {
    const hashes = await Promise.all(heights.map((h) => rpc.call("getblockhash", [h], timeoutMs)));
    if (!hashes.every((x) => typeof x === "string" && /^[0-9a-f]{64}$/.test(x))) return undefined;
    return heights.map((height, i) => ({ height, hash: hashes[i] as string }));
  } catch {
    return undefined; // the count still says a jump happened
  }
}

export class TipWatcher {
  private stopped = false;

  constructor(
    private readonly session: IpcSession,
    private readonly mining: Mining$Client,
    private readonly waitThread: Thread$Client,
    private readonly callThread: Thread$Client,
    private readonly emit: Emit,
    /** executeRpc, to name the blocks of a jump (absent: jumps are only counted). */
    private readonly rpc?: { transport: RpcTransport; timeoutMs: number },
  ) {}

  /** Runs until stop() or the connection ends (then rejects with the IpcError). */
  async run(): Promise<void> {
    const tip = await this.session.track("Mining.getTip", this.mining.getTip(IpcSession.withThread(this.callThread)).promise());
    if (!tip.hasResult) throw new IpcError("remote", "Mining.getTip", "the node has no tip yet");
    let current = new Uint8Array(tip.result.hash.toUint8Array());
    let height = tip.result.height;
    this.emit("tip.changed", { height, hash: displayHex(current) });
    while (!this.stopped) {
      const r = await this.session.track(
        "Mining.waitTipChanged",
        this.mining
          .waitTipChanged((p) => {
            IpcSession.withThread(this.waitThread)(p);
            p._initCurrentTip(32).copyBuffer(current);
            p.timeout = WAIT_TIMEOUT_MS;
          })
          .promise(),
        WAIT_TIMEOUT_MS + 30_000,
      );
      const ts = nowMicros(); // when the node told us, not after the lookups below
      const hash = r.result.hash.toUint8Array();
      if (hash.length === 0) return; // interrupted, or the node is shutting down
      if (Buffer.from(hash).equals(current)) continue; // timeout, tip unchanged
      current = new Uint8Array(hash);
      const previous = height;
      height = r.result.height;
      const skipped = height - previous - 1;
      if (skipped <= 0) {
        this.emit("tip.changed", { height, hash: displayHex(current) }, ts);
        continue;
      }
      const blocks = this.rpc && skipped <= MAX_LOOKUP ? await lookupSkipped(this.rpc.transport, previous, height, this.rpc.timeoutMs) : undefined;
      this.emit("tip.changed", { height, hash: displayHex(current), skipped, ...(blocks ? { skippedBlocks: blocks } : {}) }, ts);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.session.isClosed) return;
    await this.session.track("Mining.interrupt", this.mining.interrupt().promise(), 5000).catch(() => {});
  }
}
