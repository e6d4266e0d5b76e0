// Peers as each source sees them: the pollers' getpeerinfo ("rpc", "ipc-poll"), eBPF's connection
// and message tracepoints ("ebpf"), IPC's message tracing ("ipc"). Reports the peers a source
// missed, the short-lived connections no poll ever listed, and for each message type getpeerinfo's
// byte counters against the summed sizes of the traced messages between the same two polls.
import type { PeerInfo, PeerwatchEvent } from "../../events/index.js";
import type { BytesPerMsgRow, PeerRef, PeersReport, ShortLivedPeer } from "./report.js";

const MAX_PEERS = 100_000;
const MAX_LISTED = 50;
const POLLERS = ["rpc", "ipc-poll"] as const;

interface Seen {
  first: number;
  last: number;
  messages: number;
}

interface Peer {
  addr: string | null;
  connType: string | null;
  by: Map<string, Seen>;
}

/** Messages and bytes per "msgType|direction". */
type Sums = Map<string, { n: number; bytes: number }>;

/** One peer in one poller's snapshots: its counters and the traced sums at its first and last poll. */
interface PollMark {
  first: { rpc: PerMsg; traced: Map<string, Sums> };
  last: { rpc: PerMsg; traced: Map<string, Sums> };
  polls: number;
}
interface PerMsg {
  sent: Record<string, number>;
  recv: Record<string, number>;
}

export class PeerTally {
  private readonly peers = new Map<number, Peer>();
  private readonly labels = new Set<string>();
  private lastPollTs: number | undefined;
  /** Per tracing source, per peer: running sums of traced messages. */
  private readonly traced = new Map<string, Map<number, Sums>>();
  private readonly marks = new Map<string, Map<number, PollMark>>();

  add(e: PeerwatchEvent): void {
    switch (e.type) {
      case "peers.snapshot": {
        const label = e.source === "ipc" ? "ipc-poll" : "rpc";
        this.labels.add(label);
        this.lastPollTs = Math.max(this.lastPollTs ?? 0, e.ts);
        for (const p of e.data.peers) {
          this.see(p.id, label, e.ts, p.addr, p.connectionType, false);
          this.mark(label, p);
        }
        return;
      }
      case "net.message": {
        const label = e.source;
        this.labels.add(label);
        this.see(e.data.peerId, label, e.ts, e.data.addr, e.data.connType, true);
        const key = `${e.data.msgType}|${e.data.direction}`;
        let perPeer = this.traced.get(label);
        if (!perPeer) this.traced.set(label, (perPeer = new Map()));
        let sums = perPeer.get(e.data.peerId);
        if (!sums) {
          if (perPeer.size >= MAX_PEERS) return;
          perPeer.set(e.data.peerId, (sums = new Map()));
        }
        const s = sums.get(key) ?? { n: 0, bytes: 0 };
        s.n++;
        s.bytes += e.data.size;
        sums.set(key, s);
        return;
      }
      case "net.connection":
        this.labels.add(e.source);
        this.see(e.data.peerId, e.source, e.ts, e.data.addr ?? null, e.data.connType ?? null, false);
        return;
      default:
        return;
    }
  }

  private see(id: number, label: string, ts: number, addr: string | null, connType: string | null, message: boolean): void {
    let p = this.peers.get(id);
    if (!p) {
      if (this.peers.size >= MAX_PEERS) return;
      p = { addr: null, connType: null, by: new Map() };
      this.peers.set(id, p);
    }
    if (!p.addr && addr) p.addr = addr;
    if (!p.connType && connType) p.connType = connType;
    const s = p.by.get(label);
    if (!s) p.by.set(label, { first: ts, last: ts, messages: message ? 1 : 0 });
    else {
      s.first = Math.min(s.first, ts);
      s.last = Math.max(s.last, ts);
      if (message) s.messages++;
    }
  }

  private mark(label: string, p: PeerInfo): void {
    if (!p.bytesSentPerMsg && !p.bytesRecvPerMsg) return;
    let m = this.marks.get(label);
    if (!m) this.marks.set(label, (m = new Map()));
    const now = { rpc: { sent: { ...p.bytesSentPerMsg }, recv: { ...p.bytesRecvPerMsg } }, traced: this.tracedCopy(p.id) };
    const had = m.get(p.id);
    if (had) {
      had.last = now;
      had.polls++;
    } else if (m.size < MAX_PEERS) m.set(p.id, { first: now, last: now, polls: 1 });
  }

  private tracedCopy(id: number): Map<string, Sums> {
    const out = new Map<string, Sums>();
    for (const [label, perPeer] of this.traced) {
      const s = perPeer.get(id);
      out.set(label, new Map([...(s ?? new Map())].map(([k, v]) => [k, { ...v }])));
    }
    return out;
  }

  report(): PeersReport {
    const labels = [...this.labels].sort();
    const bySource: Record<string, { peers: number }> = {};
    const missing: Record<string, PeerRef[]> = {};
    for (const l of labels) {
      bySource[l] = { peers: 0 };
      missing[l] = [];
    }
    const shortLived: ShortLivedPeer[] = [];
    const polled = labels.filter((l) => (POLLERS as readonly string[]).includes(l));
    for (const [peerId, p] of [...this.peers].sort(([a], [b]) => a - b)) {
      const seenBy = [...p.by.keys()].sort();
      for (const l of labels) {
        if (p.by.has(l)) bySource[l]!.peers++;
        else if (missing[l]!.length < MAX_LISTED) missing[l]!.push({ peerId, addr: p.addr, seenBy });
      }
      // Came and went while no poll looked: traced, never polled, and gone before the last poll.
      if (polled.length > 0 && this.lastPollTs !== undefined && !polled.some((l) => p.by.has(l))) {
        const times = [...p.by.values()];
        const first = Math.min(...times.map((t) => t.first));
        const last = Math.max(...times.map((t) => t.last));
        if (last < this.lastPollTs && shortLived.length < MAX_LISTED) {
          shortLived.push({
            peerId,
            addr: p.addr,
            seenBy,
            connType: p.connType,
            firstTs: first,
            lastTs: last,
            lifetimeMs: (last - first) / 1000,
            messages: Math.max(...times.map((t) => t.messages)),
          });
        }
      }
    }
    const bytesFrom = POLLERS.find((l) => this.marks.has(l)) ?? null;
    return { bySource, missing, shortLived, bytesFrom, bytesPerMsg: bytesFrom ? this.bytesRows(bytesFrom) : [] };
  }

  private bytesRows(poller: string): BytesPerMsgRow[] {
    const rows = new Map<string, BytesPerMsgRow>();
    const row = (msgType: string, direction: "in" | "out") => {
      const k = `${msgType}|${direction}`;
      let r = rows.get(k);
      if (!r) rows.set(k, (r = { msgType, direction, rpcBytes: 0, traced: {} }));
      return r;
    };
    for (const m of this.marks.get(poller)!.values()) {
      if (m.polls < 2) continue;
      for (const [dir, field] of [
        ["in", "recv"],
        ["out", "sent"],
      ] as const) {
        for (const [t, v] of Object.entries(m.last.rpc[field])) {
          const d = v - (m.first.rpc[field][t] ?? 0);
          if (d > 0) row(t, dir).rpcBytes += d;
        }
      }
      for (const [label, sums] of m.last.traced) {
        const before = m.first.traced.get(label);
        for (const [k, s] of sums) {
          const [t, dir] = k.split("|") as [string, "in" | "out"];
          const b = before?.get(k) ?? { n: 0, bytes: 0 };
          if (s.n === b.n) continue;
          const r = row(t, dir);
          const acc = r.traced[label] ?? { messages: 0, bytes: 0, overheadPerMsg: null };
          acc.messages += s.n - b.n;
          acc.bytes += s.bytes - b.bytes;
          r.traced[label] = acc;
        }
      }
    }
    for (const r of rows.values()) {
      for (const acc of Object.values(r.traced)) acc.overheadPerMsg = acc.messages > 0 ? Math.round(((r.rpcBytes - acc.bytes) / acc.messages) * 10) / 10 : null;
    }
    return [...rows.values()].sort((a, b) => b.rpcBytes - a.rpcBytes || a.msgType.localeCompare(b.msgType) || a.direction.localeCompare(b.direction));
  }
}
