// The extractor behind each source name, loaded only when that source starts.
import type { ObserveSourceName } from "../config/schema.js";
import type { Source } from "./types.js";

export const SOURCE_FACTORIES: Partial<Record<ObserveSourceName, () => Promise<Source>>> = {
  ipc: async () => (await import("../ipc/ipc-source.js")).createIpcSource(),
  ebpf: async () => (await import("../ebpf/ebpf-source.js")).createEbpfSource(),
  rpc: async () => (await import("../rpc/rpc-source.js")).createRpcSource(),
  p2p: async () => (await import("../p2p/p2p-source.js")).createP2pSource(),
  proc: async () => (await import("../proc/proc-source.js")).createProcSource(),
  log: async () => (await import("../log/descriptor.js")).descriptor.create(),
};
