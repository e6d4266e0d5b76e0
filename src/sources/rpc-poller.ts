// One poller for every transport: calls each method on its own interval, validates the result
// with the event model's schemas, and emits `peers.snapshot` / `rpc.snapshot`. A slow or hung node
// cannot pile up requests: at most one call per method is in flight, each with a timeout. Methods
// the node does not know are detected once, reported and skipped; warmup (-28) is a state.
import {
  MAX_EVENT_LINE_BYTES,
  RPC_SNAPSHOT_SCHEMAS,
  formatDecodeError,
  fromZodError,
  getPeerInfoResult,
  type Emit,
  type RpcSnapshot,
  type RpcSnapshotMethod,
} from "../events/index.js";
import { parseUserAgent } from "../events/node-identity.js";
import { toPeerInfo } from "../codecs/jsonrpc/peers.js";
import { RPC_IN_WARMUP, RPC_METHOD_NOT_FOUND, RpcError, type RpcTransport } from "../codecs/jsonrpc/transport.js";

export type PolledMethodName = "getpeerinfo" | RpcSnapshotMethod;

export interface PolledMethod {
  method: PolledMethodName;
  intervalMs: number;
}

/** Cheap methods, polled every `fastMs`; the rest every `slowMs` (they walk big structures). */
export const FAST_METHODS: readonly PolledMethodName[] = ["getpeerinfo", "getmempoolinfo", "getnetworkinfo", "getnettotals", "uptime", "getblockchaininfo"];
export const SLOW_METHODS: readonly PolledMethodName[] = ["getmemoryinfo", "getchaintxstats", "getaddrmaninfo", "getorphantxs", "listbanned"];

export const POLLED_METHODS: readonly PolledMethodName[] = [...FAST_METHODS, ...SLOW_METHODS];

export function defaultSchedule(fastMs: number, slowMs: number, disabled: readonly string[] = []): PolledMethod[] {
  return [...FAST_METHODS.map((method) => ({ method, intervalMs: fastMs })), ...SLOW_METHODS.map((method) => ({ method, intervalMs: slowMs }))].filter(
    (m) => !disabled.includes(m.method),
  );
}

export type PollerHealth = { state: "up"; detail: string } | { state: "degraded"; detail: string } | { state: "down"; detail: string };

export interface PollerOptions {
  /** The source the poller runs in: names it in its events.dropped reports. */
  source: "ipc" | "rpc";
  transport: RpcTransport;
  schedule: readonly PolledMethod[];
  timeoutMs: number;
  emit: Emit;
  /** Called when the poller's health changes (not on every call). */
  onHealth?: (h: PollerHealth) => void;
  /** Called when a method turns out to be unknown to the node (once per method). */
  onUnsupported?: (method: string, message: string) => void;
  /** What the source knows about the node beyond getnetworkinfo, added to its node.info events. */
  identity?: () => { chain?: string; multiprocess?: boolean | undefined };
}

export interface PollerStats {
  calls: number;
  failures: number;
  invalid: number;
  /** Ticks skipped because the previous call of that method had not finished. */
  skipped: number;
  unsupported: string[];
}

export class RpcPoller {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly inFlight = new Set<PolledMethodName>();
  private readonly unsupported = new Set<PolledMethodName>();
  private readonly lastFailure = new Map<PolledMethodName, RpcError>();
  private health: PollerHealth | undefined;
  /** The subversion last told as node.info; forgotten when the node goes away, so a reconnect tells it again. */
  private toldIdentity: string | undefined;
  private stopped = true;
  readonly stats: PollerStats = { calls: 0, failures: 0, invalid: 0, skipped: 0, unsupported: [] };

  constructor(private readonly o: PollerOptions) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    for (const m of this.o.schedule) {
      void this.poll(m.method);
      const t = setInterval(() => void this.poll(m.method), m.intervalMs);
      this.timers.push(t);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.splice(0)) clearInterval(t);
  }

  /** Polls one method now (unless one call of it is already running). Never rejects. */
  async poll(method: PolledMethodName): Promise<void> {
    if (this.stopped || this.unsupported.has(method)) return;
    if (this.inFlight.has(method)) {
      this.stats.skipped++;
      return;
    }
    this.inFlight.add(method);
    this.stats.calls++;
    try {
      const raw = await this.o.transport.call(method, [], this.o.timeoutMs);
      if (this.stopped) return;
      this.nodeAnswered();
      const invalid = this.publish(method, raw);
      if (invalid) this.lastFailure.set(method, new RpcError("invalid", invalid));
      else this.lastFailure.delete(method);
    } catch (e) {
      if (this.stopped) return;
      if (e instanceof RpcError && e.kind === "rpc") this.nodeAnswered();
      this.onFailure(method, e instanceof RpcError ? e : new RpcError("transport", `${method}: ${String(e)}`));
    } finally {
      this.inFlight.delete(method);
    }
    this.updateHealth();
  }

  /** Validates and emits one result; returns why it was rejected, if it was. */
  private publish(method: PolledMethodName, raw: unknown): string | undefined {
    if (method === "getpeerinfo") {
      const r = getPeerInfoResult.safeParse(raw);
      if (!r.success) return this.invalid(formatDecodeError(fromZodError("getpeerinfo reply", r.error)));
      const peers = r.data.map(toPeerInfo);
      const tooBig = this.tooLarge("getpeerinfo", peers);
      if (tooBig) return this.invalid(tooBig);
      this.o.emit("peers.snapshot", { peers });
      return undefined;
    }
    const r = RPC_SNAPSHOT_SCHEMAS[method].safeParse(raw);
    if (!r.success) return this.invalid(formatDecodeError(fromZodError(`${method} reply`, r.error)));
    const tooBig = this.tooLarge(method, r.data);
    if (tooBig) return this.invalid(tooBig);
    this.o.emit("rpc.snapshot", { method, result: r.data } as RpcSnapshot);
    if (method === "getnetworkinfo") this.tellIdentity((r.data as { subversion: string }).subversion);
    return undefined;
  }

  /**
   * A result the loose schemas accept can still be larger than a reader takes as one event line
   * (MAX_EVENT_LINE_BYTES): such an event would be written and then refused by every reader.
   */
  private tooLarge(method: string, data: unknown): string | undefined {
    const size = Buffer.byteLength(JSON.stringify(data));
    const limit = MAX_EVENT_LINE_BYTES - 64 * 1024; // room for the envelope
    return size > limit ? `${method} reply: ${size} bytes, too large for one event line (at most ${limit})` : undefined;
  }

  private tellIdentity(subversion: string): void {
    if (subversion === this.toldIdentity) return;
    const info = parseUserAgent(subversion);
    if (!info) return;
    this.toldIdentity = subversion;
    const known = this.o.identity?.() ?? {};
    this.o.emit("node.info", {
      ...info,
      ...(known.chain !== undefined ? { chain: known.chain } : {}),
      ...(known.multiprocess !== undefined ? { multiprocess: known.multiprocess } : {}),
    });
  }

  /** A reply that fails validation is data lost: counted, reported as events.dropped, and the source is degraded. */
  private invalid(why: string): string {
    this.stats.invalid++;
    this.o.emit("events.dropped", { source: this.o.source, count: 1, reason: why.slice(0, 256) });
    return why;
  }

  /**
   * The node answered: the other methods' failures to reach it (or to be let in) are stale. Without
   * this, a slow method whose call broke while the node was away kept the source down until its
   * next turn, up to --rpc-slow-interval (2 min) after the node was back.
   */
  private nodeAnswered(): void {
    for (const [m, f] of this.lastFailure) if (f.kind === "transport" || f.kind === "auth") this.lastFailure.delete(m);
  }

  private onFailure(method: PolledMethodName, e: RpcError): void {
    this.stats.failures++;
    if (e.kind === "rpc" && e.code === RPC_METHOD_NOT_FOUND) {
      this.unsupported.add(method);
      this.stats.unsupported.push(method);
      this.o.onUnsupported?.(method, e.message);
      return;
    }
    this.lastFailure.set(method, e);
  }

  private upDetail(): string {
    const skipped = this.unsupported.size ? ` (not known to this node, skipped: ${[...this.unsupported].join(", ")})` : "";
    return `polling ${this.o.schedule.length - this.unsupported.size} methods via ${this.o.transport.name}${skipped}`;
  }

  private updateHealth(): void {
    const failures = [...this.lastFailure.values()];
    // The node answering (even "no", or garbage) is degraded; not answering is down.
    const down = failures.find((f) => f.kind !== "rpc" && f.kind !== "invalid");
    const warmup = failures.find((f) => f.kind === "rpc" && f.code === RPC_IN_WARMUP);
    const other = failures.find((f) => f.kind === "rpc" || f.kind === "invalid");
    const h: PollerHealth = down
      ? { state: "down", detail: down.message }
      : warmup
        ? { state: "degraded", detail: `node is warming up (${warmup.message})` }
        : other
          ? { state: "degraded", detail: other.message }
          : { state: "up", detail: this.upDetail() };
    if (h.state === "down") this.toldIdentity = undefined;
    if (this.health?.state === h.state && this.health.detail === h.detail) return;
    this.health = h;
    this.o.onHealth?.(h);
  }
}
