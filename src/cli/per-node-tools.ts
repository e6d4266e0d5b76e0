// The tools of one node, once per node, for `peerwatch tools` (tools-command.ts) serving one node or
// many from NATS: the per-node tools (metrics registry, alert engine, baselines) keep per-node state (peer ids, windows, gauges), so each node gets its own
// set, fed from the one
// bus that carries every node's events. With several nodes every series carries node="<name>";
// the number of nodes is bounded so the label stays bounded too. With a baseline state directory,
// each node's learnt normal is kept in a file of its own there (its name made safe from the node's
// name, which comes from the events), loaded when the node's first event comes, saved every 10
// minutes of its events and on close.
import path from "node:path";
import { AggregatorRegistry, Registry } from "prom-client";
import type { EventBus, Subscription } from "../bus/index.js";
import { makeEvent, type PeerwatchEvent } from "../events/index.js";
import type { Logger } from "../logger.js";
import { AlertEngine, defaultHeuristics } from "../tools/alerts/alert-engine.js";
import type { Thresholds } from "../tools/alerts/thresholds.js";
import { BaselineWatch, DEFAULT_BASELINE } from "../tools/baselines/baseline-watch.js";
import { nodeStateFileName } from "../tools/baselines/state-file.js";
import type { LoadedLists } from "../iplists/load-lists.js";
import { createMetricsRegistry } from "../tools/metrics/index.js";
import type { MetricsSource } from "../tools/metrics/metrics-server.js";
import { registerProcessMetrics } from "../tools/metrics/process-metrics.js";

/** Nodes one tools process serves; events of further nodes are dropped and counted. */
export const MAX_NODES = 64;

interface NodeGroup {
  registry: Registry;
  handle: (e: PeerwatchEvent) => void;
  alerts: AlertEngine;
  /** The node's learnt normal, in its state file when there is a baseline state directory. */
  baselines: BaselineWatch;
  /** The time of the node's last event (µs), stamped on the state file. */
  lastTs: number;
}

export interface PerNodeToolsOptions {
  /** Exactly one node is served: no node label, and every event counts for it (as in `observe`). */
  single?: string;
  /** This process's name, on its own loss reports. */
  nodeName: string;
  log: Logger;
  maxNodes?: number;
  /** --baseline-state of `tools`: the directory of the nodes' baseline state files; in memory only if absent. */
  baselineStateDir?: string;
}

export class PerNodeTools {
  private readonly groups = new Map<string, NodeGroup>();
  /** Process metrics once, and the fleet's, without a node label. */
  readonly registry = new Registry();
  private refused = 0;
  private reportedRefused = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly bus: EventBus,
    private readonly lists: LoadedLists,
    private readonly thresholds: Thresholds,
    private readonly opts: PerNodeToolsOptions,
  ) {
    registerProcessMetrics(this.registry);
  }

  /** Routes every event on the bus to its node's tools; alerts go back on the bus under that node. */
  attach(): Subscription {
    this.timer = setInterval(() => {
      this.reportRefused();
      this.logBaselineProblems();
    }, 1000);
    this.timer.unref();
    return this.bus.subscribe({ name: "nodes", maxQueue: 100_000 }, (e) => {
      const name = this.opts.single ?? e.node;
      const g = this.group(name);
      if (!g) return;
      g.handle(e);
      g.lastTs = e.ts;
      for (const a of g.alerts.onEvent(e)) this.bus.publish(makeEvent("peerwatch", e.node, "alert", a));
      for (const a of g.baselines.onEvent(e)) this.bus.publish(makeEvent("peerwatch", e.node, "alert", a, e.ts));
    });
  }

  get nodes(): string[] {
    return [...this.groups.keys()];
  }

  /** The baselines of a node, if it has sent events. */
  baselinesOf(name: string): BaselineWatch | undefined {
    return this.groups.get(name)?.baselines;
  }

  /** The metrics registry of a node (created now if it has sent nothing yet). */
  registryOf(name: string): Registry | undefined {
    return this.group(name)?.registry;
  }

  private group(name: string): NodeGroup | undefined {
    const g = this.groups.get(name);
    if (g) return g;
    if (this.groups.size >= (this.opts.maxNodes ?? MAX_NODES)) {
      if (this.refused++ === 0)
        this.opts.log.warn(
          `events of node "${name}" ignored: this tools process serves at most ${this.opts.maxNodes ?? MAX_NODES} nodes (use --nodes, or one tools process ` +
            `per group of nodes)`,
        );
      return undefined;
    }
    const dir = this.opts.baselineStateDir;
    const m = createMetricsRegistry(this.bus, this.lists, { processMetrics: false, node: this.opts.single ? undefined : name });
    const created: NodeGroup = {
      registry: m.registry,
      handle: m.handle,
      alerts: new AlertEngine(defaultHeuristics(this.thresholds, this.lists.tree), this.thresholds),
      baselines: new BaselineWatch(dir === undefined ? DEFAULT_BASELINE : { ...DEFAULT_BASELINE, stateFile: path.join(dir, nodeStateFileName(name)) }),
      lastTs: 0,
    };
    this.groups.set(name, created);
    this.logBaselineProblems();
    return created;
  }

  private reportRefused(): void {
    const count = this.refused - this.reportedRefused;
    if (count <= 0) return;
    this.reportedRefused = this.refused;
    this.bus.publish(
      makeEvent("peerwatch", this.opts.nodeName, "events.dropped", {
        source: "tools",
        count,
        reason: `more nodes than this tools process serves (${this.opts.maxNodes ?? MAX_NODES})`,
      }),
    );
  }

  /** What /metrics serves: one registry as is, several merged series by series (node labels keep them apart). */
  metricsSource(): MetricsSource {
    return {
      contentType: this.registry.contentType,
      metrics: async () => {
        const registries = [this.registry, ...[...this.groups.values()].map((g) => g.registry)];
        if (registries.length <= 2) return Registry.merge(registries).metrics();
        const json = await Promise.all(registries.map((r) => r.getMetricsAsJSON()));
        return AggregatorRegistry.aggregate(json).metrics();
      },
    };
  }

  /** Writes each node's baseline state file now (when there is a directory for them). */
  saveBaselines(): void {
    for (const g of this.groups.values()) if (g.lastTs > 0) g.baselines.save(g.lastTs);
    this.logBaselineProblems();
  }

  /** What went wrong reading or writing the state files, as warnings. */
  private logBaselineProblems(): void {
    for (const [name, g] of this.groups) for (const p of g.baselines.problems.splice(0)) this.opts.log.warn({ node: name }, p);
  }

  /** Stops the timer, reports refused nodes and saves the baselines: call once the bus has delivered every event. */
  close(): void {
    clearInterval(this.timer);
    this.reportRefused();
    this.saveBaselines();
  }
}
