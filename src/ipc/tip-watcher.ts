// Pushes tip.changed from Mining.waitTipChanged, on a server thread of its own so the blocking
// wait does not hold up other calls. Each wait is bounded (the node returns the same tip on
// timeout) so a silent connection is noticed. stop() calls Mining.interrupt() so the pending wait
// returns at once instead of at its timeout.
import { displayHex, type Emit } from "../events/index.js";
import type { Mining$Client } from "./generated/mining.js";
import type { Thread$Client } from "./generated/mp/proxy.js";
import { IpcError, IpcSession } from "./session.js";

/** How long one waitTipChanged may block on the node (ms). */
export const WAIT_TIMEOUT_MS = 60_000;

export class TipWatcher {
  private stopped = false;

  constructor(
    private readonly session: IpcSession,
    private readonly mining: Mining$Client,
    private readonly waitThread: Thread$Client,
    private readonly callThread: Thread$Client,
    private readonly emit: Emit,
  ) {}

  /** Runs until stop() or the connection ends (then rejects with the IpcError). */
  async run(): Promise<void> {
    const tip = await this.session.track(
      "Mining.getTip",
      this.mining.getTip(IpcSession.withThread(this.callThread)).promise(),
    );
    if (!tip.hasResult) throw new IpcError("remote", "Mining.getTip", "the node has no tip yet");
    let current = new Uint8Array(tip.result.hash.toUint8Array());
    this.emit("tip.changed", { height: tip.result.height, hash: displayHex(current) });
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
      const hash = r.result.hash.toUint8Array();
      if (hash.length === 0) return; // interrupted, or the node is shutting down
      if (Buffer.from(hash).equals(current)) continue; // timeout, tip unchanged
      current = new Uint8Array(hash);
      this.emit("tip.changed", { height: r.result.height, hash: displayHex(current) });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.session.isClosed) return;
    await this.session.track("Mining.interrupt", this.mining.interrupt().promise(), 5000).catch(() => {});
  }
}
