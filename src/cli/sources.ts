// The sources this build of peerwatch has. A new source is a folder with a descriptor, and one
// line here.
import { ebpfDescriptor } from "../ebpf/descriptor.js";
import { ipcDescriptor } from "../ipc/descriptor.js";
import { logDescriptor } from "../log/descriptor.js";
import { p2pDescriptor } from "../p2p/descriptor.js";
import { procDescriptor } from "../proc/descriptor.js";
import { rpcDescriptor } from "../rpc/descriptor.js";

export const SOURCES = [ipcDescriptor, ebpfDescriptor, rpcDescriptor, p2pDescriptor, procDescriptor, logDescriptor] as const;

export const SOURCE_NAMES: readonly string[] = SOURCES.map((s) => s.name);
