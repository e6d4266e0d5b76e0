// The bus's public surface, what the rest of the tree uses: the interface every transport
// implements and the in-process bus. The NATS bus is imported from `./nats/` by the CLI alone;
// the queues and the prefix matching are the bus's own.
export type { EventBus, Subscription } from "./types.js";
export { MemoryBus } from "./memory-bus.js";
