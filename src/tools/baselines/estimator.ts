// A robust running estimate of one rate's normal: exponentially weighted mean and variance of its
// per-bucket values. Early on it is the plain running mean (weight 1/n); after `horizon` buckets
// the weight stays at 1/horizon, so the normal follows slow change (a busier week) but not a
// flood: a value far out is clipped to mean + CLIP·sd before it is learnt, so an attack that lasts
// is reported for as long as it lasts instead of becoming the new normal within minutes.
export interface EstimatorState {
  /** Buckets seen. */
  n: number;
  mean: number;
  variance: number;
}

/** Values beyond mean + CLIP standard deviations are learnt as that bound. */
const CLIP = 4;

export class Estimator implements EstimatorState {
  n = 0;
  mean = 0;
  variance = 0;

  constructor(private readonly horizon: number) {}

  static from(s: EstimatorState, horizon: number): Estimator {
    const e = new Estimator(horizon);
    e.n = s.n;
    e.mean = s.mean;
    e.variance = s.variance;
    return e;
  }

  /** The spread used for scores: the learnt one, but never under Poisson noise for counts (√mean), a tenth of the mean, or `floor`. */
  spread(floor: number): number {
    return Math.max(Math.sqrt(this.variance), Math.sqrt(Math.max(this.mean, 0)), 0.1 * Math.abs(this.mean), floor);
  }

  /** How far `x` is above normal: (x − mean)/spread. */
  z(x: number, floor: number): number {
    return (x - this.mean) / this.spread(floor);
  }

  add(x: number, warm: boolean, floor: number): void {
    const v = warm ? Math.min(x, this.mean + CLIP * this.spread(floor)) : x;
    this.n++;
    const a = 1 / Math.min(this.n, this.horizon);
    const d = v - this.mean;
    this.mean += a * d;
    this.variance = (1 - a) * (this.variance + a * d * d);
  }

  state(): EstimatorState {
    return { n: this.n, mean: this.mean, variance: this.variance };
  }
}
