// What earlier log lines said about each peer (address, connection type), so later lines that only
// say "peer=N" can be completed. Bounded: a log that never mentions disconnects cannot grow it.

export interface KnownPeer {
  addr?: string;
  connType?: string;
}

export class PeerTable {
  private readonly peers = new Map<number, KnownPeer>();

  constructor(private readonly max = 4096) {}

  get(id: number): KnownPeer | undefined {
    return this.peers.get(id);
  }

  set(id: number, p: KnownPeer): void {
    this.peers.delete(id);
    this.peers.set(id, p);
    if (this.peers.size > this.max) this.peers.delete(this.peers.keys().next().value as number);
  }

  /** Merges what is new into what is known and returns the result. */
  update(id: number, p: KnownPeer): KnownPeer {
    const merged = { ...this.peers.get(id), ...p };
    this.set(id, merged);
    return merged;
  }

  /** Forgets a peer (it disconnected) and returns what was known. */
  take(id: number): KnownPeer | undefined {
    const p = this.peers.get(id);
    this.peers.delete(id);
    return p;
  }
}
