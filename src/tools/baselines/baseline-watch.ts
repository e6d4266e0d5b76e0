// Adaptive baselines: per node, a learnt normal for each rate that matters (rates.ts), one bucket
// (a minute) at a time, and an `anomaly` alert when a bucket is far above it: which rate, how far
// (× the normal and z), since when, and the peers that contributed most. It speaks only after a
// warm-up (`warmupBuckets` of the rate seen), and learns the normal on, so fixed thresholds are not
// the only line: a flood nobody wrote a detector for still stands out against what this node
// usually sees. Beside each rate's overall normal it keeps a time-of-day profile (profile.ts: one
// estimate per UTC hour), which takes over for an hour once it has seen `profileDays` days of it,
// so a rate that is always high at 15:00 is normal at 15:00 and not at 03:00. Cost per event: a few
// map updates (one per run of a peer: rate-count.ts); state: bounded rates (25 estimates each), and per bucket at most MAX_PEERS_PER_RATE
// peers per rate.
import type { EventBus, Subscription } from "../../bus/index.js";
import { FactSourceSelector, makeEvent, type EventDataMap, type PeerwatchEvent } from "../../events/index.js";
import type { EstimatorState } from "./estimator.js";
import { HOURS, RateNormal, hourOf, type Normal, type ProfileSettings } from "./profile.js";
import { RateCount } from "./rate-count.js";
import { contributions, rateSpec, rateWords, type Contribution } from "./rates.js";
import { MAX_RATES, loadBaselineState, saveBaselineState } from "./state-file.js";

type Alert = EventDataMap["alert"];

export interface BaselineSettings {
  bucketSeconds: number;
  /** Buckets of a rate seen before it may raise an anomaly. */
  warmupBuckets: number;
  /** Buckets after which the normal's weights stop growing (the memory of the estimate). */
  horizonBuckets: number;
  /** Days of an hour seen before that hour's profile replaces the overall normal for it. */
  profileDays: number;
  /** Days after which an hour's weights stop growing (the memory of the hour's estimate). */
  profileHorizonDays: number;
  /** An anomaly is at least this many times the normal … */
  ratio: number;
  /** … and this many spreads above it. */
  z: number;
  /** The same rate is reported again at most this often while it stays anomalous. */
  repeatSeconds: number;
  /** Where the normal is kept across restarts; undefined keeps it in memory only. */
  stateFile?: string;
  /** Buckets between saves of the state file. */
  saveEveryBuckets: number;
}

export const DEFAULT_BASELINE: BaselineSettings = {
  bucketSeconds: 60,
  warmupBuckets: 60,
  horizonBuckets: 1440,
  profileDays: 3,
  profileHorizonDays: 7,
  ratio: 3,
  z: 6,
  repeatSeconds: 600,
  saveEveryBuckets: 10,
};

const S = 1_000_000;
/** Empty buckets filled in after a silence; a longer gap is time peerwatch was not watching. */
const MAX_GAP_BUCKETS = 60;
const MAX_ADDRS = 10_000;

export class BaselineWatch {
  private readonly normals = new Map<string, RateNormal>();
  private readonly profile: ProfileSettings;
  private readonly counts = new Map<string, RateCount>();
  private readonly levels = new Map<string, { sum: number; n: number }>();
  private readonly addrs = new Map<number, string>();
  private readonly anomalous = new Map<string, { since: number; lastAlert: number }>();
  private readonly oneSource = new FactSourceSelector();
  private readonly scratch: Contribution[] = [];
  private readonly bucketUs: number;
  private bucket = -1;
  private closed = 0;
  private msghand: { cpu: number; ts: number; pid: number } | undefined;
  /** What went wrong reading or writing the state file, for the caller to log. */
  readonly problems: string[] = [];

  constructor(private readonly s: BaselineSettings = DEFAULT_BASELINE) {
    this.bucketUs = s.bucketSeconds * S;
    // An hour holds at most this many buckets a day, so readyBuckets of an hour span profileDays days at least.
    const perHour = Math.ceil(3600 / s.bucketSeconds);
    this.profile = {
      horizonBuckets: s.horizonBuckets,
      hourHorizonBuckets: s.profileHorizonDays * perHour,
      readyBuckets: s.profileDays * perHour,
      warmupBuckets: s.warmupBuckets,
    };
    if (s.stateFile) {
      try {
        const st = loadBaselineState(s.stateFile);
        if (st && st.bucketSeconds === s.bucketSeconds) for (const [k, v] of Object.entries(st.rates)) this.normals.set(k, RateNormal.from(v, this.profile));
        else if (st) this.problems.push(`baseline state ${s.stateFile} was learnt in ${st.bucketSeconds} s buckets, not ${s.bucketSeconds}: starting afresh`);
      } catch (e) {
        this.problems.push(`${(e as Error).message}: starting afresh (the file is replaced at the next save)`);
      }
    }
  }

  /** The prefixes of the events it learns from. */
  static readonly prefixes = ["net.message", "net.connection", "ping.rtt", "threads.snapshot"];

  /** Feeds one event; returns the anomalies of the buckets it closed. */
  onEvent(e: PeerwatchEvent): Alert[] {
    if (!this.oneSource.accept(e)) return [];
    const b = Math.floor(e.ts / this.bucketUs);
    let out: Alert[] = [];
    if (this.bucket < 0) this.bucket = b;
    else if (b > this.bucket) out = this.advance(b);
    if (e.type === "threads.snapshot") {
      if ((e.data.role ?? "node") !== "node") return out;
      let cpu = 0;
      for (const t of e.data.threads) if (t.name === "b-msghand") cpu += t.userSeconds + t.systemSeconds;
      const m = this.msghand;
      if (m && m.pid === e.data.pid && e.ts > m.ts && cpu >= m.cpu) this.level("level:msghand_cpu", (cpu - m.cpu) / ((e.ts - m.ts) / S));
      this.msghand = { cpu, ts: e.ts, pid: e.data.pid };
      return out;
    }
    for (const c of contributions(e, this.scratch)) {
      if (rateSpec(c.rate).kind === "level") {
        this.level(c.rate, c.value);
        continue;
      }
      let count = this.counts.get(c.rate);
      if (count === undefined) this.counts.set(c.rate, (count = new RateCount()));
      if (!count.add(c.value, c.peerId) || c.peerId === undefined) continue;
      if (c.addr && !this.addrs.has(c.peerId)) {
        if (this.addrs.size >= MAX_ADDRS) this.addrs.delete(this.addrs.keys().next().value as number);
        this.addrs.set(c.peerId, c.addr);
      }
    }
    return out;
  }

  /** The learnt overall normal of a rate (for tests). */
  normal(rate: string): EstimatorState | undefined {
    return this.normals.get(rate)?.overall.state();
  }

  /** The learnt normal of a rate for one UTC hour of the day (for tests). */
  hourNormal(rate: string, hour: number): EstimatorState | undefined {
    return this.normals.get(rate)?.hourState(hour);
  }

  /** Writes the state file now (on stop). */
  save(ts: number): void {
    if (!this.s.stateFile) return;
    try {
      saveBaselineState(this.s.stateFile, this.s.bucketSeconds, ts, this.normals);
    } catch (e) {
      this.problems.push(`cannot write baseline state ${this.s.stateFile}: ${(e as Error).message}`);
    }
  }

  /** Subscribes to the bus and publishes anomalies as `alert` events; the state is saved on unsubscribe. */
  attach(bus: EventBus, nodeName: string): Subscription {
    let last = 0;
    // Whole batches: one handler call per IPC trace batch or pipe read, not one per message.
    const sub = bus.subscribeBatches({ name: "baselines", prefixes: BaselineWatch.prefixes, maxQueue: 100_000 }, (events) => {
      for (const e of events) {
        last = e.ts;
        for (const a of this.onEvent(e)) bus.publish(makeEvent("peerwatch", nodeName, "alert", a, e.ts));
      }
    });
    return {
      unsubscribe: () => {
        sub.unsubscribe();
        if (last > 0) this.save(last);
      },
    } as Subscription;
  }

  private level(rate: string, v: number): void {
    const l = this.levels.get(rate);
    if (l) {
      l.sum += v;
      l.n++;
    } else this.levels.set(rate, { sum: v, n: 1 });
  }

  /** Closes the current bucket (and the empty ones of a short silence) and moves to bucket `b`. */
  private advance(b: number): Alert[] {
    const out = this.close(this.bucket);
    const gap = Math.min(b - this.bucket - 1, MAX_GAP_BUCKETS);
    for (let i = 1; i <= gap; i++) out.push(...this.close(this.bucket + i));
    this.bucket = b;
    return out;
  }

  private close(bucket: number): Alert[] {
    const out: Alert[] = [];
    const endTs = (bucket + 1) * this.bucketUs;
    const hour = hourOf(bucket * this.bucketUs);
    // A count first seen now was zero for as long as the others were watched (an addr flood on a node
    // that never saw addr): its normal starts there, not at nothing, or the flood would be learnt as it;
    // and so does each hour of its profile.
    let watched: { n: number; hours: number[] } | undefined;
    for (const rate of this.counts.keys()) {
      if (this.normals.has(rate) || this.normals.size >= MAX_RATES) continue;
      watched ??= this.watched();
      this.normals.set(rate, RateNormal.zero(this.profile, watched.n, watched.hours));
    }
    for (const rate of this.levels.keys()) if (!this.normals.has(rate) && this.normals.size < MAX_RATES) this.normals.set(rate, new RateNormal(this.profile));
    for (const [rate, normal] of this.normals) {
      const spec = rateSpec(rate);
      let x: number;
      if (spec.kind === "level") {
        const l = this.levels.get(rate);
        if (l === undefined) continue; // no sample: a level is not zero when nobody measured it
        x = l.sum / l.n;
      } else x = this.counts.get(rate)?.sum ?? 0;
      if (normal.overall.n >= this.s.warmupBuckets) {
        const against = normal.against(hour);
        const est = against.est;
        const z = est.z(x, spec.floor);
        const ratio = x / Math.max(est.mean, 1e-9);
        const a = this.anomalous.get(rate);
        if (x >= spec.minimum && z >= this.s.z && ratio >= this.s.ratio) {
          const since = a?.since ?? bucket * this.bucketUs;
          if (a === undefined || endTs - a.lastAlert >= this.s.repeatSeconds * S) {
            out.push(this.alert(rate, x, against, z, ratio, since, endTs));
            this.anomalous.set(rate, { since, lastAlert: endTs });
          }
        } else if (a !== undefined) this.anomalous.delete(rate);
      }
      normal.learn(x, hour, spec.floor);
    }
    this.counts.clear();
    this.levels.clear();
    if (++this.closed % this.s.saveEveryBuckets === 0) this.save(endTs);
    return out;
  }

  /** Buckets the longest-watched rate has seen, overall and in each hour. */
  private watched(): { n: number; hours: number[] } {
    const w = { n: 0, hours: new Array<number>(HOURS).fill(0) };
    for (const r of this.normals.values()) {
      w.n = Math.max(w.n, r.overall.n);
      for (let h = 0; h < HOURS; h++) w.hours[h] = Math.max(w.hours[h]!, r.hourCount(h));
    }
    return w;
  }

  private alert(rate: string, x: number, against: Normal, z: number, ratio: number, since: number, endTs: number): Alert {
    const est = against.est;
    const spec = rateSpec(rate);
    const fmt = (v: number) => (spec.kind === "level" ? v.toFixed(v < 10 ? 2 : 0) : Math.round(v).toLocaleString("en-US"));
    const peers = this.counts.get(rate)?.peers();
    const top = peers
      ? [...peers]
          .sort((p, q) => q[1] - p[1])
          .slice(0, 3)
          .map(([id, n]) => `peer ${id}${this.addrs.get(id) ? ` (${this.addrs.get(id)})` : ""} ${fmt(n)} (${Math.round((n / Math.max(x, 1)) * 100)}%)`)
      : [];
    const iso = (us: number) => new Date(us / 1000).toISOString().replace(".000Z", "Z");
    const hh = (h: number) => `${String(h % HOURS).padStart(2, "0")}:00`;
    const which = against.hour === undefined ? "overall normal" : `${hh(against.hour)}-${hh(against.hour + 1)} UTC normal`;
    return {
      name: "anomaly",
      severity: "warning",
      detail:
        `${rateWords(rate)}: ${fmt(x)} in the ${this.s.bucketSeconds} s to ${iso(endTs)}, ${ratio.toFixed(1)}× the ${which} ${fmt(est.mean)} ± ` +
        `${fmt(est.spread(spec.floor))} (z ${z.toFixed(1)}; thresholds ${this.s.ratio}× and z ${this.s.z}), anomalous since ` +
        `${iso(since)}${top.length ? `; most from ${top.join(", ")}` : ""}`,
    };
  }
}
