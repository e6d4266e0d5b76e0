// The live page: one HTML page (web/ in the package) served with uPlot from node_modules, fed a
// snapshot of the LiveView over Server-Sent Events once a second (only when something changed).
import { once } from "node:events";
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, type Registry } from "prom-client";
import type { EventBus, Subscription } from "../../bus/index.js";
import type { HostPort } from "../../config/values.js";
import type { LoadedLists } from "../../iplists/load-lists.js";
import { LiveView } from "./live-view.js";
import { DEFAULT_CLIENT_BUFFER_BYTES, SseClients } from "./sse-clients.js";

export const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../web");
export const DEFAULT_WEB: HostPort = { host: "127.0.0.1", port: 9433 };

export interface WebToolOptions {
  /** How often a snapshot is pushed to the page (ms). */
  pushIntervalMs?: number;
  clientBufferBytes?: number;
}

export interface WebTool {
  url: string;
  address: HostPort;
  view: LiveView;
  subscription: Subscription;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);

/** The files the server hands out, by URL path: nothing else on disk is reachable. */
function assets(): Record<string, { file: string; type: string }> {
  const uplotDir = path.dirname(require.resolve("uplot/package.json"));
  return {
    "/": { file: path.join(WEB_DIR, "index.html"), type: "text/html; charset=utf-8" },
    "/app.js": { file: path.join(WEB_DIR, "app.js"), type: "text/javascript; charset=utf-8" },
    "/app.css": { file: path.join(WEB_DIR, "app.css"), type: "text/css; charset=utf-8" },
    "/uplot.js": { file: path.join(uplotDir, "dist/uPlot.iife.min.js"), type: "text/javascript; charset=utf-8" },
    "/uplot.css": { file: path.join(uplotDir, "dist/uPlot.min.css"), type: "text/css; charset=utf-8" },
    "/favicon.ico": { file: path.join(WEB_DIR, "favicon.ico"), type: "image/x-icon" },
  };
}

export async function startWebTool(bus: EventBus, at: HostPort, lists: LoadedLists, registry: Registry, options: WebToolOptions = {}): Promise<WebTool> {
  const view = new LiveView(lists.tree);
  let changed = true;
  const subscription = bus.subscribe({ name: "web", maxQueue: 100_000 }, (e) => {
    view.handle(e);
    changed = true;
  });
  const clientsGauge = new Gauge({ name: "peerwatch_web_clients", help: "Browsers connected to the live page", registers: [registry] });
  const cutOff = new Counter({
    name: "peerwatch_web_clients_cut_off_total",
    help: "Live page clients disconnected because they did not read their updates (send buffer full)",
    registers: [registry],
  });
  const clients = new SseClients(options.clientBufferBytes ?? DEFAULT_CLIENT_BUFFER_BYTES, {
    onConnect: () => clientsGauge.inc(),
    onDisconnect: () => clientsGauge.dec(),
    onCutOff: () => cutOff.inc(),
  });
  const files = assets();
  const server = http.createServer((req, res) => {
    const url = (req.url ?? "/").split("?")[0] as string;
    if (req.method !== "GET") {
      res.writeHead(405, { "content-type": "text/plain" }).end("GET only\n");
      return;
    }
    if (url === "/events") {
      clients.add(res, JSON.stringify(view.snapshot()));
      return;
    }
    if (url === "/state.json") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" }).end(JSON.stringify(view.snapshot()));
      return;
    }
    const asset = files[url];
    if (!asset) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    fs.readFile(asset.file, (err, body) => {
      if (err) res.writeHead(500, { "content-type": "text/plain" }).end(`cannot read ${path.basename(asset.file)}: ${err.code}\n`);
      else res.writeHead(200, { "content-type": asset.type, "cache-control": "no-cache" }).end(body);
    });
  });
  server.keepAliveTimeout = 5000;
  try {
    await once(server.listen(at.port, at.host), "listening"); // rejects on "error" (port taken)
  } catch (e) {
    subscription.unsubscribe(); // nothing stays on the bus or in the registry
    registry.removeSingleMetric("peerwatch_web_clients");
    registry.removeSingleMetric("peerwatch_web_clients_cut_off_total");
    throw e;
  }
  const timer = setInterval(() => {
    if (!changed || clients.size === 0) return;
    changed = false;
    clients.broadcast(JSON.stringify(view.snapshot()));
  }, options.pushIntervalMs ?? 1000);
  timer.unref();
  const addr = server.address() as AddressInfo;
  const address = { host: addr.address, port: addr.port };
  return {
    url: `http://${address.host.includes(":") ? `[${address.host}]` : address.host}:${address.port}/`,
    address,
    view,
    subscription,
    async close() {
      clearInterval(timer);
      subscription.unsubscribe();
      clients.closeAll();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
