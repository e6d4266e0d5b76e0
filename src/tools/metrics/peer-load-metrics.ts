// What each peer costs the node, from getpeerinfo: Bitcoin Knots' `cpu_load` and the
// `inv_to_send` queue (Core and Knots). Bounded whatever the peer count: the max and the sum over
// all peers, and the five largest values by rank (no peer label: the alerts peer-cpu and
// send-queue name the peer). Families stay empty while the node reports neither field.
import { Gauge, type Registry } from "prom-client";
import type { PeerwatchEvent } from "../../events/index.js";

const TOP = 5;
const RANKS = Array.from({ length: TOP }, (_, i) => String(i + 1));

export function registerPeerLoadMetrics(registry: Registry): (e: PeerwatchEvent) => void {
  const registers = [registry];
  const cpu = new Gauge({
    name: "peerwatch_peers_cpu_load",
    help: "Knots' per-peer cpu_load over the node's peers: max and sum",
    labelNames: ["stat"] as const,
    registers,
  });
  const cpuTop = new Gauge({
    name: "peerwatch_peers_cpu_load_top",
    help: "The largest per-peer cpu_load values, by rank (1 = largest)",
    labelNames: ["rank"] as const,
    registers,
  });
  const inv = new Gauge({
    name: "peerwatch_peers_inv_to_send",
    help: "Inventory entries queued for the node's peers (getpeerinfo inv_to_send): max and sum",
    labelNames: ["stat"] as const,
    registers,
  });
  const invTop = new Gauge({
    name: "peerwatch_peers_inv_to_send_top",
    help: "The largest per-peer inv_to_send queues, by rank (1 = largest)",
    labelNames: ["rank"] as const,
    registers,
  });
  const publish = (values: number[], whole: Gauge<"stat">, top: Gauge<"rank">) => {
    if (values.length === 0) return;
    values.sort((a, b) => b - a);
    whole.set({ stat: "max" }, values[0]!);
    whole.set(
      { stat: "sum" },
      values.reduce((a, b) => a + b, 0),
    );
    for (let i = 0; i < TOP; i++) top.set({ rank: RANKS[i]! }, values[i] ?? 0);
  };
  return (e) => {
    if (e.type !== "peers.snapshot") return;
    const cpus: number[] = [];
    const invs: number[] = [];
    for (const p of e.data.peers) {
      if (p.cpuLoad !== undefined) cpus.push(p.cpuLoad);
      if (p.invToSend !== undefined) invs.push(p.invToSend);
    }
    publish(cpus, cpu, cpuTop);
    publish(invs, inv, invTop);
  };
}
