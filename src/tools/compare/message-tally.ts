// Net messages as IPC tracing and eBPF each report them: counts and payload sizes per type, the
// drops each source reported, and — when both traced — the messages one saw and the other did not.
// Matching counts messages of the same kind (peer, direction, type, size) on each side over the
// whole seconds in which both were tracing; a message kind with more on one side is a difference.
import type { PeerwatchEvent } from "../../events/index.js";
import { DelaySample } from "./delay-sample.js";
import type { MessagesReport, MessageTypeRow } from "./report.js";

const TRACERS = ["ipc", "ebpf"] as const;
type Tracer = (typeof TRACERS)[number];
/** Message kinds × seconds remembered for matching; beyond, matching says how much it skipped. */
const MAX_BUCKETS = 1_000_000;
const MAX_EXAMPLES = 10;

export class MessageTally {
  private readonly totals = new Map<Tracer, { messages: number; bytes: number; dropped: number; dropReasons: Record<string, number> }>();
  private readonly perType = new Map<string, MessageTypeRow>();
  /** kind → second → [ipc, ebpf] counts. */
  private readonly buckets = new Map<string, Map<number, [number, number]>>();
  private bucketCount = 0;
  private readonly span = new Map<Tracer, { first: number; last: number }>();
  private readonly delivery = new DelaySample();

  add(e: PeerwatchEvent): void {
    if (e.type === "events.dropped") {
      const who = e.data.source as Tracer;
      if (!(TRACERS as readonly string[]).includes(who)) return;
      const t = this.total(who);
      t.dropped += e.data.count;
      t.dropReasons[e.data.reason] = (t.dropReasons[e.data.reason] ?? 0) + e.data.count;
      return;
    }
    if (e.type !== "net.message" || !(TRACERS as readonly string[]).includes(e.source)) return;
    const src = e.source as Tracer;
    const d = e.data;
    const t = this.total(src);
    t.messages++;
    t.bytes += d.size;
    const typeKey = `${d.msgType}|${d.direction}`;
    let row = this.perType.get(typeKey);
    if (!row) this.perType.set(typeKey, (row = { msgType: d.msgType, direction: d.direction, bySource: {} }));
    const r = (row.bySource[src] ??= { count: 0, bytes: 0 });
    r.count++;
    r.bytes += d.size;
    const s = this.span.get(src);
    if (!s) this.span.set(src, { first: e.ts, last: e.ts });
    else {
      s.first = Math.min(s.first, e.ts);
      s.last = Math.max(s.last, e.ts);
    }
    if (src === "ipc" && d.receivedTs !== undefined) this.delivery.add((d.receivedTs - e.ts) / 1000);
    const kind = `${d.peerId}|${d.direction}|${d.msgType}|${d.size}`;
    let perSecond = this.buckets.get(kind);
    if (!perSecond) {
      if (this.bucketCount >= MAX_BUCKETS) return;
      this.buckets.set(kind, (perSecond = new Map()));
    }
    const sec = Math.floor(e.ts / 1_000_000);
    let c = perSecond.get(sec);
    if (!c) {
      if (this.bucketCount >= MAX_BUCKETS) return;
      this.bucketCount++;
      perSecond.set(sec, (c = [0, 0]));
    }
    c[src === "ipc" ? 0 : 1]++;
  }

  private total(src: Tracer) {
    let t = this.totals.get(src);
    if (!t) this.totals.set(src, (t = { messages: 0, bytes: 0, dropped: 0, dropReasons: {} }));
    return t;
  }

  report(): MessagesReport {
    const bySource = Object.fromEntries([...this.totals].sort(([a], [b]) => a.localeCompare(b)));
    const perType = [...this.perType.values()].sort(
      (a, b) => total(b) - total(a) || a.msgType.localeCompare(b.msgType) || a.direction.localeCompare(b.direction),
    );
    return { bySource, perType, matched: this.match(), ipcDeliveryDelay: this.delivery.stats() };
  }

  private match(): MessagesReport["matched"] {
    const ipc = this.span.get("ipc");
    const ebpf = this.span.get("ebpf");
    if (!ipc || !ebpf) return null;
    // The whole seconds in which both were tracing: messages at the ragged edges are not differences.
    let from = Math.ceil(Math.max(ipc.first, ebpf.first) / 1_000_000);
    let to = Math.floor(Math.min(ipc.last, ebpf.last) / 1_000_000) - 1;
    if (to < from) {
      // Less than one whole common second: compare everything.
      from = -Infinity;
      to = Infinity;
    }
    let both = 0;
    const only = { ipc: 0, ebpf: 0 };
    const diffs: { kind: string; ipc: number; ebpf: number }[] = [];
    for (const [kind, perSecond] of this.buckets) {
      let i = 0;
      let b = 0;
      for (const [sec, [ci, cb]] of perSecond) {
        if (sec < from || sec > to) continue;
        i += ci;
        b += cb;
      }
      both += Math.min(i, b);
      if (i > b) only.ipc += i - b;
      if (b > i) only.ebpf += b - i;
      if (i !== b) diffs.push({ kind, ipc: i, ebpf: b });
    }
    diffs.sort((x, y) => Math.abs(y.ipc - y.ebpf) - Math.abs(x.ipc - x.ebpf) || x.kind.localeCompare(y.kind));
    const examples = diffs.slice(0, MAX_EXAMPLES).map((d) => {
      const [peerId, direction, msgType, size] = d.kind.split("|");
      return {
        peerId: Number(peerId),
        direction: direction as "in" | "out",
        msgType: msgType as string,
        size: Number(size),
        counts: { ipc: d.ipc, ebpf: d.ebpf },
      };
    });
    const windowMs = Number.isFinite(from) ? (to - from + 1) * 1000 : (Math.min(ipc.last, ebpf.last) - Math.max(ipc.first, ebpf.first)) / 1000;
    return { windowMs: Math.max(0, windowMs), both, only, examples };
  }
}

function total(r: MessageTypeRow): number {
  return Object.values(r.bySource).reduce((n, s) => n + s.count, 0);
}
