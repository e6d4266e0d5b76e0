// One rate's learnt normal: the overall estimate (every bucket) and, beside it, a time-of-day
// profile of 24 estimates, one per UTC hour, each learning only the buckets that start in its hour.
// A bucket is compared with its hour's estimate once that hour has been seen on enough days
// (`readyBuckets`: at least `profileDays` days' worth of that hour's buckets, and an hour holds at
// most one day's worth a day, so that many days at least), otherwise with the overall one. Bounded:
// at most 25 estimators per rate, created as their hour first comes.
import { Estimator, type EstimatorState } from "./estimator.js";

export const HOURS = 24;
const HOUR_US = 3600 * 1_000_000;

/** The UTC hour of the day (0–23) of a time in µs since the epoch. */
export function hourOf(us: number): number {
  return ((Math.floor(us / HOUR_US) % HOURS) + HOURS) % HOURS;
}

export interface RateNormalState extends EstimatorState {
  /** One estimate per UTC hour (index = hour), null for an hour not seen yet; absent in a v1 state file. */
  hours?: (EstimatorState | null)[];
}

export interface ProfileSettings {
  /** The overall estimate's memory, in buckets. */
  horizonBuckets: number;
  /** An hour's estimate's memory, in buckets of that hour. */
  hourHorizonBuckets: number;
  /** Buckets of an hour seen before its estimate replaces the overall one for that hour. */
  readyBuckets: number;
  /** Buckets seen before an estimate clips what it learns (the warm-up). */
  warmupBuckets: number;
}

/** What a bucket is compared with: the estimate, and the hour whose profile it is (undefined: the overall). */
export interface Normal {
  est: Estimator;
  hour?: number;
}

export class RateNormal {
  readonly overall: Estimator;
  private readonly hours: (Estimator | undefined)[] = [];

  constructor(
    private readonly s: ProfileSettings,
    overall?: EstimatorState,
  ) {
    this.overall = overall ? Estimator.from(overall, s.horizonBuckets) : new Estimator(s.horizonBuckets);
  }

  static from(state: RateNormalState, s: ProfileSettings): RateNormal {
    const r = new RateNormal(s, state);
    state.hours?.forEach((h, i) => {
      if (h && i < HOURS) r.hours[i] = Estimator.from(h, s.hourHorizonBuckets);
    });
    return r;
  }

  /** A new rate's normal that was zero over `watched` overall buckets and over `watchedHours[h]` buckets of each hour. */
  static zero(s: ProfileSettings, watched: number, watchedHours: readonly number[]): RateNormal {
    const r = new RateNormal(s, { n: watched, mean: 0, variance: 0 });
    watchedHours.forEach((n, h) => {
      if (n > 0 && h < HOURS) r.hours[h] = Estimator.from({ n, mean: 0, variance: 0 }, s.hourHorizonBuckets);
    });
    return r;
  }

  /** The hour's estimate once it has enough history, else the overall one. */
  against(hour: number): Normal {
    const h = this.hours[hour];
    return h !== undefined && h.n >= this.s.readyBuckets ? { est: h, hour } : { est: this.overall };
  }

  /** Buckets the estimate of `hour` has seen (0 if none). */
  hourCount(hour: number): number {
    return this.hours[hour]?.n ?? 0;
  }

  hourState(hour: number): EstimatorState | undefined {
    return this.hours[hour]?.state();
  }

  /** Learns a bucket's value into the overall estimate and its hour's, each clipped once it is warm. */
  learn(x: number, hour: number, floor: number): void {
    this.overall.add(x, this.overall.n >= this.s.warmupBuckets, floor);
    let h = this.hours[hour];
    if (h === undefined) this.hours[hour] = h = new Estimator(this.s.hourHorizonBuckets);
    h.add(x, h.n >= this.s.warmupBuckets, floor);
  }

  state(): Required<RateNormalState> {
    const hours: (EstimatorState | null)[] = [];
    for (let i = 0; i < HOURS; i++) hours.push(this.hours[i]?.state() ?? null);
    return { ...this.overall.state(), hours };
  }
}
