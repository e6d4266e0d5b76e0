// What the log source adds: its line counts (parsed by kind, unknown by category, cut), peers the
// node drops and why, refused inbound connections, addr rate limiting, and which node is watched
// (node.info from any source).
import { Counter, Gauge, type Registry } from "prom-client";
import type { PeerwatchEvent } from "../../events/index.js";
import { LabelLimiter } from "./labels.js";

export function registerLogMetrics(registry: Registry): (e: PeerwatchEvent) => void {
  const registers = [registry];
  const lines = new Counter({
    name: "peerwatch_log_lines_total",
    help: "debug.log lines the log source turned into events, by line kind",
    labelNames: ["kind"] as const,
    registers,
  });
  const unknown = new Counter({
    name: "peerwatch_log_unknown_lines_total",
    help: "debug.log lines no parser knows, by log category (none: uncategorised)",
    labelNames: ["category"] as const,
    registers,
  });
  const cut = new Counter({ name: "peerwatch_log_truncated_lines_total", help: "debug.log lines longer than the line limit, cut before parsing", registers });
  const throttled = new Counter({ name: "peerwatch_log_throttled_total", help: "Times the log source paused reading at its line rate limit", registers });
  const disconnecting = new Counter({
    name: "peerwatch_peer_disconnects_total",
    help: "Peers the node disconnected, by the cause it logged (ping_timeout, stalling, …)",
    labelNames: ["cause"] as const,
    registers,
  });
  const refused = new Counter({
    name: "peerwatch_inbound_refused_total",
    help: "Inbound connections the node refused (banned, discouraged, full, …)",
    labelNames: ["reason"] as const,
    registers,
  });
  const addrRateLimited = new Counter({
    name: "peerwatch_addr_rate_limited_total",
    help: "Addresses from addr messages the node dropped by its rate limit",
    registers,
  });
  const pongProblems = new Counter({
    name: "peerwatch_pong_problems_total",
    help: "Pongs that did not match the ping (nonce mismatch, unsolicited, short)",
    labelNames: ["problem"] as const,
    registers,
  });
  const nodeInfo = new Gauge({
    name: "peerwatch_node_info",
    help: "1 for the implementation and version of the watched node (from RPC, P2P, IPC or its log)",
    labelNames: ["implementation", "version"] as const,
    registers,
  });
  const categories = new LabelLimiter(64);
  const kinds = new LabelLimiter(64);
  const problems = new LabelLimiter(8);
  // log.lines carries totals since the source started: count what is new since the last one.
  let last = { parsed: {} as Record<string, number>, unknown: {} as Record<string, number>, truncated: 0, throttled: 0 };

  return (e) => {
    switch (e.type) {
      case "log.lines": {
        const d = e.data;
        const restarted = d.truncated < last.truncated || Object.entries(last.parsed).some(([k, n]) => (d.parsed[k] ?? 0) < n);
        if (restarted) last = { parsed: {}, unknown: {}, truncated: 0, throttled: 0 };
        for (const [k, n] of Object.entries(d.parsed)) if (n > (last.parsed[k] ?? 0)) lines.inc({ kind: kinds.label(k) }, n - (last.parsed[k] ?? 0));
        for (const [k, n] of Object.entries(d.unknown))
          if (n > (last.unknown[k] ?? 0)) unknown.inc({ category: categories.label(k) }, n - (last.unknown[k] ?? 0));
        if (d.truncated > last.truncated) cut.inc(d.truncated - last.truncated);
        if (d.throttled > last.throttled) throttled.inc(d.throttled - last.throttled);
        last = { parsed: { ...d.parsed }, unknown: { ...d.unknown }, truncated: d.truncated, throttled: d.throttled };
        return;
      }
      case "peer.disconnecting":
        disconnecting.inc({ cause: e.data.cause });
        return;
      case "net.inbound_refused":
        refused.inc({ reason: e.data.reason });
        return;
      case "addr.received":
        if (e.data.rateLimited > 0) addrRateLimited.inc(e.data.rateLimited);
        return;
      case "pong.problem":
        pongProblems.inc({ problem: problems.label(e.data.problem) });
        return;
      case "node.info":
        // One node is watched: the newest identity replaces the previous one.
        nodeInfo.reset();
        nodeInfo.set({ implementation: e.data.implementation, version: e.data.version.slice(0, 64) }, 1);
        return;
      default:
        return;
    }
  };
}
