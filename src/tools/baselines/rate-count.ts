// One count rate's current bucket: its sum and each peer's share of it. A flood comes from few
// peers in long runs, so the latest peer's share is added up apart and written to the per-peer map
// only when another peer comes (or the bucket is read): one map update per run of a peer, not per
// message (the per-message updates were most of the baselines' cost under a flood; bench detectors).

/** Peers whose shares a rate's bucket keeps (the top ones name the anomaly's sources). */
export const MAX_PEERS_PER_RATE = 256;

export class RateCount {
  sum = 0;
  private readonly shares = new Map<number, number>();
  private peer = -1;
  private pending = 0;

  /** Adds a value; true when `peerId` starts a new run (the caller notes its address then). */
  add(value: number, peerId: number | undefined): boolean {
    this.sum += value;
    if (peerId === undefined) return false;
    if (peerId === this.peer) {
      this.pending += value;
      return false;
    }
    this.settle();
    this.peer = peerId;
    this.pending = value;
    return true;
  }

  /** Each peer's share so far (at most MAX_PEERS_PER_RATE peers, the first seen). */
  peers(): ReadonlyMap<number, number> {
    this.settle();
    return this.shares;
  }

  private settle(): void {
    if (this.peer < 0) return;
    const s = this.shares;
    if (s.size < MAX_PEERS_PER_RATE || s.has(this.peer)) s.set(this.peer, (s.get(this.peer) ?? 0) + this.pending);
    this.peer = -1;
    this.pending = 0;
  }
}
