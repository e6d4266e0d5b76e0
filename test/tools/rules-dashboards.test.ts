// Prometheus rules pass promtool (syntax and unit tests); every metric a rule or a dashboard uses
// is one the exporter really exposes, or a recording rule the rules file defines.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MemoryBus } from "../../src/bus/index.js";
import { DEFAULT_LISTS_DIR, loadIpLists } from "../../src/iplists/load-lists.js";
import { createMetricsRegistry } from "../../src/tools/metrics/index.js";
import { Ajv } from "ajv";
import { REPO_ROOT } from "../helpers/capture.js";
import { DASHBOARD_SCHEMA } from "../helpers/grafana-dashboard-schema.js";

/** Every dashboard shipped, one per part an operator looks at. */
const DASHBOARDS = [
  "addr-inv.json",
  "backlog.json",
  "connections.json",
  "detectors.json",
  "health.json",
  "mempool.json",
  "overview.json",
  "p2p-traffic.json",
  "peers.json",
  "sources.json",
  "threads.json",
];

const rulesDir = path.join(REPO_ROOT, "rules");
const rulesFile = path.join(rulesDir, "peerwatch.rules.yml");
const hasPromtool = !spawnSync("promtool", ["--version"]).error;
if (!hasPromtool) console.warn("SKIPPING promtool checks: promtool is not installed (Debian: prometheus; scripts/setup --test installs it)");

describe.skipIf(!hasPromtool)("Prometheus rules", () => {
  it("pass promtool check rules", () => {
    const out = execFileSync("promtool", ["check", "rules", rulesFile], { encoding: "utf8" });
    expect(out).toMatch(/SUCCESS: \d+ rules found/);
  });
  it("pass their promtool unit tests", () => {
    const r = spawnSync("promtool", ["test", "rules", "peerwatch.rules.test.yml"], { cwd: rulesDir, encoding: "utf8" });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS/);
  });
});

/** Metric names in a PromQL expression: peerwatch's own and its process_/nodejs_ self-metrics (label values in quotes are not names). */
function metricNames(expr: string): string[] {
  return [...expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').matchAll(/\b(?:peerwatch[_:]|process_|nodejs_)[a-zA-Z0-9_:]*/g)].map((m) => m[0]);
}

describe("metric names used by rules and dashboards", () => {
  const { registry } = createMetricsRegistry(new MemoryBus({ nodeName: "t" }), loadIpLists(DEFAULT_LISTS_DIR));
  const rulesText = fs.readFileSync(rulesFile, "utf8");
  const recorded = new Set([...rulesText.matchAll(/- record: (\S+)/g)].map((m) => m[1]));

  async function exposed(): Promise<Set<string>> {
    const text = await registry.metrics();
    const families = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!] as const);
    const names = new Set<string>();
    for (const [name, type] of families) {
      names.add(name);
      if (type === "histogram") for (const s of ["_bucket", "_sum", "_count"]) names.add(name + s);
      if (type === "summary") for (const s of ["_sum", "_count"]) names.add(name + s);
    }
    return names;
  }

  const check = async (exprs: { where: string; expr: string }[]) => {
    const names = await exposed();
    const unknown = exprs.flatMap(({ where, expr }) =>
      metricNames(expr)
        .filter((n) => !names.has(n) && !recorded.has(n))
        .map((n) => `${where}: ${n}`),
    );
    expect(unknown).toEqual([]);
    expect(exprs.length).toBeGreaterThan(5);
  };

  it("rules use only exported metrics and their own recording rules", async () => {
    const exprs = [...rulesText.matchAll(/^\s+expr: (.+)$/gm)].map((m) => ({ where: "rules", expr: m[1]! }));
    await check(exprs);
  });

  it("dashboards (overview, peers, connections, P2P, addr/inv, mempool, backlog, threads, detectors, IPC vs eBPF, health) use existing metrics", async () => {
    const dir = path.join(REPO_ROOT, "dashboards");
    const files = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .sort();
    expect(files).toEqual(DASHBOARDS);
    const exprs = files.flatMap((f) => {
      const d = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as { panels: { title: string; targets: { expr: string }[] }[] };
      return d.panels.flatMap((p) => p.targets.map((t) => ({ where: `${f} "${p.title}"`, expr: t.expr })));
    });
    await check(exprs);
  });

  it("the check catches a misspelt metric", () => {
    expect(metricNames("rate(peerwatch_p2p_mesages_total[5m])")).toEqual(["peerwatch_p2p_mesages_total"]);
    expect(metricNames('rate(process_cpu_secnds_total{job="peerwatch"}[5m])')).toEqual(["process_cpu_secnds_total"]);
  });
});

describe("dashboards against Grafana's dashboard model", () => {
  const ajv = new Ajv({ allErrors: true, strict: true });
  const validate = ajv.compile(DASHBOARD_SCHEMA);
  const load = (f: string) =>
    JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "dashboards", f), "utf8")) as {
      uid: string;
      panels: { id: number; gridPos: { x: number; w: number }; targets: { refId: string }[] }[];
    };

  it.each(DASHBOARDS)("%s is a valid dashboard: known keys and types, panels on the 24-column grid, unique ids and refIds", (f) => {
    const d = load(f);
    expect(validate(d) ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`)).toEqual([]);
    for (const p of d.panels) expect(p.gridPos.x + p.gridPos.w, `panel ${p.id}`).toBeLessThanOrEqual(24);
    expect(new Set(d.panels.map((p) => p.id)).size).toBe(d.panels.length);
    for (const p of d.panels) expect(new Set(p.targets.map((t) => t.refId)).size).toBe(p.targets.length);
  });

  it("every dashboard has its own uid, and the Grafana provisioning loads this folder", () => {
    const uids = DASHBOARDS.map((f) => load(f).uid);
    expect(new Set(uids).size).toBe(uids.length);
    const provider = fs.readFileSync(path.join(REPO_ROOT, "deploy/provisioning/grafana/dashboards/peerwatch.yml"), "utf8");
    expect(provider).toMatch(/path: \/usr\/share\/peerwatch\/dashboards/);
  });

  it("the check catches a typo and a panel off the grid", () => {
    const d = load("overview.json") as unknown as { panels: Record<string, unknown>[] };
    const bad = {
      ...d,
      panels: [
        { ...d.panels[0], gridpos: { x: 0, y: 0, w: 12, h: 8 } },
        { ...d.panels[1], gridPos: { x: 20, y: 0, w: 30, h: 8 } },
      ],
    };
    expect(validate(bad)).toBe(false);
    expect(validate.errors!.map((e) => e.instancePath + " " + e.message).join("\n")).toMatch(
      /must NOT have additional properties[\s\S]*\/panels\/1\/gridPos\/w must be <= 24/,
    );
  });
});

describe("docs/metrics.md", () => {
  it("lists every metric the exporter has (regenerate with scripts/gen-metrics-doc.mjs)", () => {
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, "scripts/gen-metrics-doc.mjs"), "--check"], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
  });
});
