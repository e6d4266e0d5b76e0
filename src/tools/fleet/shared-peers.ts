// The same inbound peer address, /24 (/48 for IPv6) or AS connected to several of your nodes at
// once: spy nodes and LinkingLion-style operators connect to every reachable node from a few
// ranges, which one node alone cannot tell from ordinary inbound peers. Only inbound peers count:
// your nodes choosing the same popular outbound peer is normal.
// State: per node, its inbound peers (from peers.snapshot, kept current by net.connection); per
// key (address, prefix, AS), how many of each node's peers have it. Bounded by FLEET_LIMITS.
import type { PeerwatchEvent } from "../../events/index.js";
import { addressBytes, hostOf } from "../../iplists/prefix-tree.js";
import { FLEET_LIMITS, type FleetThresholds } from "./thresholds.js";
import type { FleetAlert } from "./types.js";

interface PeerKeys {
  addr: string;
  prefix: string | undefined;
  as: string | undefined;
}

/** "203.0.113.0/24" or "2001:db8:1::/48"; undefined for Tor, I2P and CJDNS-style names. */
export function prefixOf(host: string): string | undefined {
  const b = addressBytes(host);
  if (!b) return undefined;
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.0/24`;
  const w = (i: number) => ((b[i]! << 8) | b[i + 1]!).toString(16);
  return `${w(0)}:${w(2)}:${w(4)}::/48`;
}

export class SharedPeers {
  readonly prefixes = ["peers.snapshot", "net.connection"];
  /** node → peer id → keys of that inbound peer. */
  private readonly peers = new Map<string, Map<number, PeerKeys>>();
  /** key → node → number of that node's inbound peers with the key. */
  private readonly index = new Map<string, Map<string, number>>();

  constructor(private readonly t: FleetThresholds) {}

  onEvent(e: PeerwatchEvent): FleetAlert[] {
    const touched = new Set<string>();
    if (e.type === "peers.snapshot") {
      this.clearNode(e.node);
      for (const p of e.data.peers) {
        if (p.inbound) this.add(e.node, p.id, p.addr, p.mappedAs === null || p.mappedAs === undefined ? undefined : String(p.mappedAs), touched);
      }
    } else if (e.type === "net.connection") {
      if (e.data.kind === "inbound" && e.data.addr) this.add(e.node, e.data.peerId, e.data.addr, undefined, touched);
      else if (e.data.kind === "closed" || e.data.kind === "evicted") this.remove(e.node, e.data.peerId);
    }
    return [...touched].flatMap((k) => this.check(k));
  }

  /** Nodes currently holding an inbound peer with this key (address, prefix or AS). */
  nodesWith(key: string): string[] {
    return [...(this.index.get(key)?.keys() ?? [])].sort();
  }

  /** Keys of a kind ("addr", "prefix", "as") held by inbound peers of at least `minNodes` nodes. */
  countShared(kind: "addr" | "prefix" | "as", minNodes: number): number {
    let n = 0;
    for (const [k, byNode] of this.index) if (byNode.size >= minNodes && k.startsWith(`${kind}:`)) n++;
    return n;
  }

  private check(key: string): FleetAlert[] {
    const byNode = this.index.get(key);
    if (!byNode) return [];
    const nodes = [...byNode.keys()].sort();
    const peers = [...byNode.values()].reduce((a, b) => a + b, 0);
    const [kind, value] = [key.slice(0, key.indexOf(":")), key.slice(key.indexOf(":") + 1)];
    const list = nodes.join(", ");
    if (kind === "addr" && nodes.length >= this.t.sharedPeerNodes) {
      return [
        {
          name: "fleet-shared-peer",
          severity: "warning",
          subject: value,
          detail: `inbound peer ${value} is connected to ${nodes.length} of your nodes at once: ${list}`,
        },
      ];
    }
    if (kind === "prefix" && nodes.length >= this.t.sharedPrefixNodes && peers >= this.t.sharedPrefixPeers) {
      return [
        {
          name: "fleet-shared-prefix",
          severity: "warning",
          subject: value,
          detail: `${peers} inbound peers from ${value} are connected to ${nodes.length} of your nodes at once: ${list}`,
        },
      ];
    }
    if (kind === "as" && nodes.length >= this.t.sharedAsNodes && peers >= this.t.sharedAsPeers) {
      return [
        {
          name: "fleet-shared-as",
          severity: "info",
          subject: `AS${value}`,
          detail: `${peers} inbound peers from AS${value} are connected to ${nodes.length} of your nodes at once: ${list}`,
        },
      ];
    }
    return [];
  }

  private add(node: string, id: number, addr: string, as: string | undefined, touched: Set<string>): void {
    let mine = this.peers.get(node);
    if (!mine) {
      if (this.peers.size >= FLEET_LIMITS.nodes) return;
      mine = new Map();
      this.peers.set(node, mine);
    }
    if (mine.has(id)) this.remove(node, id);
    if (mine.size >= FLEET_LIMITS.peersPerNode) return;
    const host = hostOf(addr);
    const keys: PeerKeys = { addr: `addr:${host}`, prefix: prefixOf(host) && `prefix:${prefixOf(host)}`, as: as && `as:${as}` };
    mine.set(id, keys);
    for (const k of [keys.addr, keys.prefix, keys.as]) {
      if (!k) continue;
      const byNode = this.index.get(k) ?? new Map<string, number>();
      byNode.set(node, (byNode.get(node) ?? 0) + 1);
      this.index.set(k, byNode);
      touched.add(k);
    }
  }

  private remove(node: string, id: number): void {
    const keys = this.peers.get(node)?.get(id);
    if (!keys) return;
    this.peers.get(node)!.delete(id);
    for (const k of [keys.addr, keys.prefix, keys.as]) {
      if (!k) continue;
      const byNode = this.index.get(k);
      if (!byNode) continue;
      const n = (byNode.get(node) ?? 0) - 1;
      if (n > 0) byNode.set(node, n);
      else byNode.delete(node);
      if (byNode.size === 0) this.index.delete(k);
    }
  }

  private clearNode(node: string): void {
    for (const id of [...(this.peers.get(node)?.keys() ?? [])]) this.remove(node, id);
  }
}
