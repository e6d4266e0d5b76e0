// What the live page shows, kept up to date from the bus: source states, tip and recent blocks,
// peers, message rates per type, pinger RTTs and recent alerts. Time is event time (the events'
// `ts`), so the page reads the same live and in a replay. Every collection is bounded.
import type { PeerwatchEvent } from "../../events/index.js";
import type { PrefixTree } from "../../iplists/prefix-tree.js";

/** Width of one message-rate bucket and how many are kept (10 s × 60 = the last 10 minutes). */
export const RATE_BUCKET_SECONDS = 10;
export const RATE_BUCKETS = 60;
/** Message types plotted separately; the rest are summed as "other". */
export const MAX_PLOTTED_TYPES = 10;
export const MAX_RTT_POINTS = 600;
export const MAX_PEERS_SHOWN = 500;
export const MAX_BLOCKS_SHOWN = 10;
export const MAX_ALERTS_SHOWN = 50;
/** An alert stays "active" on the page this long after it was last raised (event time). */
export const ALERT_ACTIVE_SECONDS = 15 * 60;
const MAX_TRACKED_TYPES = 64;

export interface PeerRow {
  id: number;
  addr: string;
  network: string | null;
  direction: "in" | "out";
  connectionType: string | null;
  transport: string | null;
  pingMs: number | null;
  minFeeFilterSatVb: number | null;
  lists: string[];
}

export interface LiveSnapshot {
  /** Event time of the newest event, microseconds (0 before any). */
  now: number;
  /** `pass`: which pass of a looping replay is playing (1 from the start; 0 when not replaying). */
  replay: { active: boolean; detail: string; pass: number };
  /** `replayed`: the state is what a recording says, not a source of this process. */
  sources: { source: string; state: string; detail: string; ts: number; replayed: boolean }[];
  tip: { height: number; hash: string; ts: number; pass: number } | null;
  /** `pass`: the replay pass the block was seen in (0 live): a loop's heights starting over are not a reorg. */
  blocks: { height: number; hash: string; txs: number; connectMs: number; ts: number; pass: number }[];
  peers: PeerRow[];
  peersTotal: number;
  /** Message rates: bucket start times (unix seconds) and messages/s per type in each bucket. */
  rates: { t: number[]; types: string[]; perSecond: number[][] };
  rtt: { t: number[]; ms: number[]; target: string[] };
  alerts: { name: string; severity: string; peerId: number | null; detail: string; count: number; ts: number }[];
  events: number;
}

export class LiveView {
  private now = 0;
  private events = 0;
  private readonly sources = new Map<string, { state: string; detail: string; ts: number; replayed: boolean }>();
  /** Replay pass playing now (0: not replaying). */
  private pass = 0;
  private tip: LiveSnapshot["tip"] = null;
  private blocks: LiveSnapshot["blocks"] = [];
  private peers = new Map<number, PeerRow>();
  /** bucket index (ts / bucket width) → counts per type */
  private readonly buckets = new Map<number, Map<string, number>>();
  private readonly typeTotals = new Map<string, number>();
  private rtt: { t: number; ms: number; target: string }[] = [];
  private readonly alerts = new Map<string, LiveSnapshot["alerts"][number]>();

  constructor(private readonly lists: PrefixTree) {}

  handle(e: PeerwatchEvent): void {
    this.events++;
    // The page's clock follows the node's events; status and loss reports are stamped with the
    // wall clock, which in a replay is not the recording's time.
    if (e.ts > this.now && e.type !== "source.status" && e.type !== "events.dropped") this.now = e.ts;
    switch (e.type) {
      case "source.status":
        if (e.data.source === "replay") {
          // Every "up" of the replay source is a new pass (the CLI says so at the start of each).
          this.pass = e.data.state === "up" ? this.pass + 1 : 0;
          if (e.data.state === "up" && this.pass > 1) this.tip = null; // the recording's chain starts again
        }
        this.sources.set(e.data.source, { state: e.data.state, detail: e.data.detail, ts: e.ts, replayed: this.pass > 0 && e.data.source !== "replay" });
        break;
      case "tip.changed":
        this.tip = { height: e.data.height, hash: e.data.hash, ts: e.ts, pass: this.pass };
        break;
      case "block.connected":
        this.blocks = [
          { height: e.data.height, hash: e.data.hash, txs: e.data.txs, connectMs: e.data.connectNs / 1e6, ts: e.ts, pass: this.pass },
          ...this.blocks,
        ].slice(0, MAX_BLOCKS_SHOWN);
        if (!this.tip || e.data.height >= this.tip.height) this.tip = { height: e.data.height, hash: e.data.hash, ts: e.ts, pass: this.pass };
        break;
      case "peers.snapshot":
        this.peers = new Map(
          e.data.peers.map((p) => [
            p.id,
            {
              id: p.id,
              addr: p.addr,
              network: p.network,
              direction: p.inbound ? "in" : "out",
              connectionType: p.connectionType,
              transport: p.transport,
              pingMs: p.pingMs,
              minFeeFilterSatVb: p.minFeeFilterSatVb,
              lists: this.lists.match(p.addr),
            },
          ]),
        );
        break;
      case "net.connection":
        if (e.data.kind === "inbound" || e.data.kind === "outbound") {
          if (this.peers.size < 100_000 && !this.peers.has(e.data.peerId) && e.data.addr) {
            this.peers.set(e.data.peerId, {
              id: e.data.peerId,
              addr: e.data.addr,
              network: e.data.network ?? null,
              direction: e.data.kind === "inbound" ? "in" : "out",
              connectionType: e.data.connType ?? null,
              transport: null,
              pingMs: null,
              minFeeFilterSatVb: null,
              lists: this.lists.match(e.data.addr),
            });
          }
        } else if (e.data.kind === "closed" || e.data.kind === "evicted") this.peers.delete(e.data.peerId);
        break;
      case "net.message":
        this.countMessage(e.ts, e.data.msgType);
        if (e.data.msgType === "feefilter" && e.data.direction === "in" && e.data.decoded?.feeRateSatVb !== undefined) {
          const p = this.peers.get(e.data.peerId);
          if (p) p.minFeeFilterSatVb = e.data.decoded.feeRateSatVb;
        }
        break;
      case "ping.rtt":
        this.rtt.push({ t: e.ts, ms: e.data.rttNs / 1e6, target: e.data.target });
        if (this.rtt.length > MAX_RTT_POINTS * 2) this.rtt = this.rtt.slice(-MAX_RTT_POINTS);
        break;
      case "alert": {
        const key = `${e.data.name}|${e.data.peerId ?? ""}`;
        const a = this.alerts.get(key);
        this.alerts.delete(key); // re-insert: the map stays in order of last raise
        this.alerts.set(key, {
          name: e.data.name,
          severity: e.data.severity,
          peerId: e.data.peerId ?? null,
          detail: e.data.detail,
          count: (a?.count ?? 0) + 1,
          ts: e.ts,
        });
        if (this.alerts.size > MAX_ALERTS_SHOWN * 4) this.alerts.delete(this.alerts.keys().next().value as string);
        break;
      }
      default:
        break;
    }
  }

  private countMessage(ts: number, type: string): void {
    const b = Math.floor(ts / (RATE_BUCKET_SECONDS * 1e6));
    let m = this.buckets.get(b);
    if (!m) {
      m = new Map();
      this.buckets.set(b, m);
      // Old buckets out; the map holds at most a window's worth plus stragglers.
      const newest = Math.max(...this.buckets.keys());
      for (const k of this.buckets.keys()) if (k <= newest - RATE_BUCKETS) this.buckets.delete(k);
    }
    // An unbounded type name set (a peer sending junk types) is folded into "other".
    const key = this.typeTotals.has(type) || this.typeTotals.size < MAX_TRACKED_TYPES ? type : "other";
    m.set(key, (m.get(key) ?? 0) + 1);
    this.typeTotals.set(key, (this.typeTotals.get(key) ?? 0) + 1);
  }

  snapshot(): LiveSnapshot {
    const replay = this.sources.get("replay");
    const sortedPeers = [...this.peers.values()].sort((a, b) => a.id - b.id);
    const newestBucket = Math.floor(this.now / (RATE_BUCKET_SECONDS * 1e6));
    const t: number[] = [];
    for (let b = newestBucket - RATE_BUCKETS + 1; b <= newestBucket; b++) t.push(b * RATE_BUCKET_SECONDS);
    const inWindow = new Map<string, number>();
    for (const [b, m] of this.buckets) if (b > newestBucket - RATE_BUCKETS) for (const [k, n] of m) inWindow.set(k, (inWindow.get(k) ?? 0) + n);
    const top = [...inWindow.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, MAX_PLOTTED_TYPES)
      .map(([k]) => k);
    const types = inWindow.size > top.length ? [...top, "(other)"] : top;
    const perSecond = types.map((type) =>
      t.map((start) => {
        const m = this.buckets.get(start / RATE_BUCKET_SECONDS);
        if (!m) return 0;
        let n = 0;
        if (type === "(other)") for (const [k, c] of m) n += top.includes(k) ? 0 : c;
        else n = m.get(type) ?? 0;
        return n / RATE_BUCKET_SECONDS;
      }),
    );
    const rtt = this.rtt.slice(-MAX_RTT_POINTS);
    const activeSince = this.now - ALERT_ACTIVE_SECONDS * 1e6;
    return {
      now: this.now,
      replay: { active: replay?.state === "up", detail: replay?.detail ?? "", pass: this.pass },
      sources: [...this.sources.entries()].map(([source, s]) => ({ source, ...s })).sort((a, b) => a.source.localeCompare(b.source)),
      tip: this.tip,
      blocks: this.blocks,
      peers: sortedPeers.slice(0, MAX_PEERS_SHOWN),
      peersTotal: sortedPeers.length,
      rates: { t, types, perSecond },
      rtt: { t: rtt.map((p) => p.t / 1e6), ms: rtt.map((p) => p.ms), target: rtt.map((p) => p.target) },
      alerts: [...this.alerts.values()]
        .filter((a) => a.ts >= activeSince)
        .reverse()
        .slice(0, MAX_ALERTS_SHOWN),
      events: this.events,
    };
  }
}
