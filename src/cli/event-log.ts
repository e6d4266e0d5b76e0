// What an operator should see in the log, whatever else is configured: sources going up and down,
// lost events, alerts.
import type { EventBus, Subscription } from "../bus/index.js";
import type { Logger } from "../logger.js";

export function logEvents(bus: EventBus, log: Logger): Subscription {
  return bus.subscribe({ name: "log", prefixes: ["source.status", "events.dropped", "alert"] }, (e) => {
    const node = { node: e.node };
    if (e.type === "source.status") {
      const level = e.data.state === "up" ? "info" : "warn";
      log[level](
        { ...node, source: e.data.source, state: e.data.state, capabilities: e.data.capabilities },
        `${e.node}: ${e.data.source} ${e.data.state}: ${e.data.detail}`,
      );
    } else if (e.type === "events.dropped") {
      log.warn({ ...node, source: e.data.source, count: e.data.count }, `${e.node}: ${e.data.count} events dropped by ${e.data.source}: ${e.data.reason}`);
    } else if (e.type === "alert") {
      log.warn({ ...node, alert: e.data.name, severity: e.data.severity, peerId: e.data.peerId }, `${e.node}: alert ${e.data.name}: ${e.data.detail}`);
    }
  });
}
