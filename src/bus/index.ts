export * from "./types.js";
export * from "./memory-bus.js";
export * from "./bounded-queue.js";
