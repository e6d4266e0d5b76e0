// The live page's entry: served at --web until the signal aborts.
import { Registry } from "prom-client";
import { stopOnAbort, type RunningTool, type ToolContext } from "../../bus/tool.js";
import type { HostPort } from "../../config/values.js";
import type { LoadedLists } from "../../iplists/load-lists.js";
import { startWebTool, type WebToolOptions } from "./index.js";
import type { LiveView } from "./live-view.js";

export interface WebOptions extends WebToolOptions {
  /** --web: where the page is served. */
  web: HostPort;
  /** The IP lists the page marks peers with. */
  lists: LoadedLists;
  /** Where the page's own metrics (clients, clients cut off) go: the metrics tool's registry; a registry of its own if absent. */
  registry?: Registry;
}

export interface RunningWeb extends RunningTool {
  url: string;
  address: HostPort;
  view: LiveView;
}

/** Starts the live page; rejects when the port cannot be bound. */
export async function run(options: WebOptions, { bus, signal }: ToolContext): Promise<RunningWeb> {
  const { web, lists, registry, ...rest } = options;
  const tool = await startWebTool(bus, web, lists, registry ?? new Registry(), rest);
  return { url: tool.url, address: tool.address, view: tool.view, stopped: stopOnAbort(signal, () => tool.close()) };
}
