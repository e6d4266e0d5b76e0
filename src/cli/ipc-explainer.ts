// When another source learns that the node's implementation has no IPC (Bitcoin Knots builds
// switch it off), the IPC source's "down" must not keep advising -ipcbind: this says so instead.
// Wiring between sources, hence in the CLI: the IPC source never sees other sources' events.
import type { EventBus } from "../bus/index.js";
import type { Emit } from "../events/index.js";

export function explainMissingIpc(bus: EventBus, emitAsIpc: Emit): void {
  let ipcUp = false;
  let told = "";
  bus.subscribe({ name: "ipc-explainer", prefixes: ["source.status", "node.info"] }, (e) => {
    if (e.type === "source.status" && e.data.source === "ipc") {
      ipcUp = e.data.state === "up" || e.data.state === "degraded";
      return;
    }
    if (e.type !== "node.info" || e.data.ipcCapable !== false || ipcUp) return;
    const who = `${e.data.implementation} ${e.data.version}${e.data.implementationVersion ? ` (${e.data.implementationVersion})` : ""}`;
    if (who === told) return;
    told = who;
    emitAsIpc("source.status", {
      source: "ipc",
      state: "down",
      detail: `this node's implementation serves no IPC interface: it is ${who}, told by the ${e.source} source; peerwatch reads it through the other sources`,
    });
  });
}
