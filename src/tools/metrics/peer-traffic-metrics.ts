// Per-peer traffic and where the peers come from, from each peers.snapshot, without a series per
// peer: the TOP_PEERS peers by bytes (sent + received since they connected) get a series each,
// and peers are counted by netgroup (Bitcoin Core's grouping: an IPv4 /16, an IPv6 /32, else the
// network) with only the TOP_NETGROUPS largest groups named. Rebuilt from every snapshot.
import { Gauge, type Registry } from "prom-client";
import type { PeerInfo, PeerwatchEvent } from "../../events/index.js";

export const TOP_PEERS = 10;
export const TOP_NETGROUPS = 10;

/** The netgroup of a peer address ("1.2.3.4:8333", "[2001:db8::1]:8333", "x.onion:8333"). */
export function netgroup(addr: string, network: string | null): string {
  const v6 = /^\[([0-9a-fA-F:]+)\]:\d+$/.exec(addr);
  if (v6) {
    const groups = (v6[1] as string).split("::")[0]!.split(":");
    return `${(groups[0] || "0").toLowerCase()}:${(groups[1] || "0").toLowerCase()}::/32`;
  }
  const v4 = /^(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}:\d+$/.exec(addr);
  if (v4) return `${v4[1]}.${v4[2]}.0.0/16`;
  return network ?? "unknown";
}

export function registerPeerTrafficMetrics(registry: Registry): (e: PeerwatchEvent) => void {
  const registers = [registry];
  const bytes = new Gauge({
    name: "peerwatch_top_peers_bytes",
    help:
      `Bytes sent to and received from each of the ${TOP_PEERS} peers with the most traffic since they connected (getpeerinfo), by peer address and ` +
      `direction`,
    labelNames: ["peer", "direction"] as const,
    registers,
  });
  const groups = new Gauge({
    name: "peerwatch_peers_netgroups",
    help: "Distinct netgroups (IPv4 /16, IPv6 /32, else the network) among the node's peers, by direction",
    labelNames: ["direction"] as const,
    registers,
  });
  const top = new Gauge({
    name: "peerwatch_top_netgroup_peers",
    help: `Peers in each of the ${TOP_NETGROUPS} netgroups with the most peers, by netgroup and direction`,
    labelNames: ["netgroup", "direction"] as const,
    registers,
  });
  return (e) => {
    if (e.type !== "peers.snapshot") return;
    const ps: PeerInfo[] = e.data.peers;
    bytes.reset();
    for (const p of [...ps].sort((a, b) => b.bytesSent + b.bytesRecv - (a.bytesSent + a.bytesRecv)).slice(0, TOP_PEERS)) {
      bytes.set({ peer: p.addr, direction: "sent" }, p.bytesSent);
      bytes.set({ peer: p.addr, direction: "received" }, p.bytesRecv);
    }
    top.reset();
    for (const direction of ["inbound", "outbound"] as const) {
      const counts = new Map<string, number>();
      for (const p of ps)
        if (p.inbound === (direction === "inbound")) {
          const g = netgroup(p.addr, p.network);
          counts.set(g, (counts.get(g) ?? 0) + 1);
        }
      groups.set({ direction }, counts.size);
      for (const [g, n] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, TOP_NETGROUPS)) top.set({ netgroup: g, direction }, n);
    }
  };
}
