// The detection scorecard: every recording in data/attacks/ replayed through the alert engine (the
// same heuristics, thresholds, IP lists and one-source-per-fact rule `peerwatch replay` runs),
// once per column: the recording filtered to one source set. Per cell: detected or not, by which
// alert, how many seconds after the attack's first message, and for a miss why (the source saw
// nothing of the adversaries, or it saw them and no detector fired). No node needed.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { PeerwatchEvent, SourceName } from "../src/events/index.js";
import { AlertEngine, defaultHeuristics } from "../src/tools/alerts/alert-engine.js";
import { DEFAULT_THRESHOLDS } from "../src/tools/alerts/thresholds.js";
import { CostTally } from "../src/tools/compare/cost-tally.js";
import type { CostReport } from "../src/tools/compare/report.js";
import { loadIpLists } from "../src/iplists/load-lists.js";
import { readRecording, type RecordingStats } from "../src/tools/record/read-events.js";
import { LabError } from "./safety.js";
import { SCENARIOS } from "./scenarios/index.js";
import type { Scenario } from "./scenario.js";

/** The repository's root: the nearest folder up from this file with peerwatch's package.json (source or built). */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = path.join(dir, "package.json");
    if (fs.existsSync(pkg) && /"name": "peerwatch"/.test(fs.readFileSync(pkg, "utf8"))) return dir;
    dir = path.dirname(dir);
  }
  throw new LabError("lab: cannot find the peerwatch repository above " + fileURLToPath(import.meta.url));
}

export interface Column {
  key: string;
  title: string;
  /** Sources kept; undefined keeps every event. */
  sources?: readonly SourceName[];
}

export const COLUMNS: readonly Column[] = [
  { key: "ipc", title: "IPC only (tracing when served)", sources: ["ipc"] },
  { key: "ebpf", title: "eBPF only", sources: ["ebpf"] },
  { key: "rpc", title: "RPC only", sources: ["rpc"] },
  { key: "log", title: "log only", sources: ["log"] },
  { key: "p2p-proc", title: "P2P pinger + /proc only", sources: ["p2p", "proc"] },
  { key: "all", title: "all together" },
];

/** What the runner wrote about one recording (data/attacks/manifest.json). */
export interface RecordingEntry {
  name: string;
  kind: "attack" | "benign";
  file: string;
  /** Recording window (observe up, quiet time included), µs since the epoch. */
  recordStartUs: number;
  recordEndUs: number;
  /** The adversaries' first TCP connection (attacks) or the run's start (benign), µs. */
  attackStartUs: number;
  attackEndUs: number;
  /** Source address prefixes the adversaries used, e.g. "127.0.80." */
  adversaryPrefixes: string[];
  outcome: { messages: number; connections: number; notes?: string };
  sourcesUp?: string[];
  /** The node that was attacked (user agent and binary): runs recorded with --only may come from another build. */
  node?: string;
}

export interface Manifest {
  made: string;
  node: { version: string; subversion: string; binary: string; flags: string[]; ipcTracing: boolean };
  observe: string[];
  recordings: RecordingEntry[];
}

export interface AlertSeen {
  name: string;
  severity: string;
  /** Seconds after the attack's first message (negative: before it). */
  afterSeconds: number;
  detail: string;
}

export interface Cell {
  detected: boolean;
  alert?: string;
  latencySeconds?: number;
  /** For a miss: "source cannot see it" or "no detector", with the evidence. */
  why?: string;
  /** Events of this column in the recording, and those that name an adversary (address or peer id). */
  events: number;
  adversaryEvents: number;
  /** Warnings raised after the attack began that are not this scenario's detector. */
  otherAlerts: AlertSeen[];
}

/** What a scenario says of itself (lab/scenario.ts), then how its recording scored. */
export interface ScenarioScore extends Pick<Scenario, "name" | "kind" | "summary" | "imitates" | "detectWith" | "maxLatencySeconds"> {
  outcome: RecordingEntry["outcome"];
  durationSeconds: number;
  cells: Record<string, Cell>;
  /** Node CPU (compare's cost section) over the attack (attacks) or the whole run (benign). */
  cost: CostReport["node"] | null;
  /** Events lost while recording (events.dropped), by who lost them: a source, or bus:ndjson (the recorder). */
  dropped: Record<string, number>;
}

export interface Scorecard {
  generated: string;
  manifest: Omit<Manifest, "recordings">;
  columns: Column[];
  scenarios: ScenarioScore[];
  benign: { hours: number; warnings: Record<string, number>; perHour: Record<string, number>; list: { scenario: string; column: string; alert: AlertSeen }[] };
  expectedMisses: ExpectedMisses;
  /** The ping flood once per source set (data/attacks/cost.json, from `npm run lab -- --cost`), if measured. */
  sourceCost: SourceCost | null;
}

export interface SourceCost {
  made: string;
  scenario: string;
  rows: {
    sources: string;
    sourcesUp?: string[];
    pings: number;
    floodSeconds: number;
    nodeCpuPerSecond: number | null;
    nodeCpuSeconds: number | null;
    threads: Record<string, number>;
    netMessageEvents: number;
  }[];
}

/** Today's misses, listed once (lab/expected-misses.json): scenario → why it is not detected yet. */
export interface ExpectedMisses {
  misses: Record<string, string>;
  falseWarnings: Record<string, string>;
  /**
   * Each source column's misses: scenario → column key → why that source cannot tell the attack (or what it would need);
   * scenario "*" gives a column's reason for every scenario it misses. The scorecard prints them; the lab test wants one for
   * every miss of a source column and none for a cell that detects.
   */
  sourceMisses: Record<string, Record<string, string>>;
}

export function loadExpectedMisses(root = repoRoot()): ExpectedMisses {
  const j = JSON.parse(fs.readFileSync(path.join(root, "lab/expected-misses.json"), "utf8")) as Partial<ExpectedMisses>;
  return { misses: j.misses ?? {}, falseWarnings: j.falseWarnings ?? {}, sourceMisses: j.sourceMisses ?? {} };
}

/** Why a source column misses a scenario, from lab/expected-misses.json (the scenario's own entry, else the column's "*"). */
export function sourceMissReason(e: ExpectedMisses, scenario: string, column: string): string | undefined {
  return e.sourceMisses[scenario]?.[column] ?? e.sourceMisses["*"]?.[column];
}

export function loadManifest(dir: string): Manifest {
  return JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")) as Manifest;
}

export function scenarioNamed(name: string): Scenario {
  const s = SCENARIOS.find((x) => x.name === name);
  if (!s) throw new LabError(`lab: recording ${name} has no scenario in lab/scenarios (renamed or removed?)`);
  return s;
}

const S = 1_000_000;

function mentionsAddr(addr: string | undefined, prefixes: string[]): boolean {
  return addr !== undefined && prefixes.some((p) => addr.startsWith(p));
}

/** The adversaries' peer ids, learned from every event of the recording that names their addresses. */
function adversaryIds(events: PeerwatchEvent[], prefixes: string[]): Set<number> {
  const ids = new Set<number>();
  for (const e of events) {
    const d = e.data as { peerId?: number; addr?: string; peers?: { id: number; addr: string }[] };
    if (typeof d.peerId === "number" && mentionsAddr(d.addr, prefixes)) ids.add(d.peerId);
    if (e.type === "peers.snapshot") for (const p of d.peers ?? []) if (mentionsAddr(p.addr, prefixes)) ids.add(p.id);
  }
  return ids;
}

function namesAdversary(e: PeerwatchEvent, prefixes: string[], ids: Set<number>): boolean {
  const d = e.data as { peerId?: number; addr?: string; peers?: { id: number; addr: string }[] };
  if (mentionsAddr(d.addr, prefixes)) return true;
  if (typeof d.peerId === "number" && ids.has(d.peerId) && e.type !== "alert") return true;
  return e.type === "peers.snapshot" && (d.peers ?? []).some((p) => mentionsAddr(p.addr, prefixes));
}

const listsByRoot = new Map<string, ReturnType<typeof loadIpLists>>();
/** data/iplists, loaded once per run (as replay loads them once). */
function listsOf(root: string): ReturnType<typeof loadIpLists> {
  let l = listsByRoot.get(root);
  if (!l) listsByRoot.set(root, (l = loadIpLists(path.join(root, "data/iplists"))));
  return l;
}

/** Replays events through a fresh alert engine, as `peerwatch replay` does (recorded alerts skipped). */
export function alertsOf(events: Iterable<PeerwatchEvent>, root = repoRoot()): { name: string; severity: string; ts: number; detail: string }[] {
  const lists = listsOf(root);
  const engine = new AlertEngine(defaultHeuristics(DEFAULT_THRESHOLDS, lists.tree), DEFAULT_THRESHOLDS);
  const out: { name: string; severity: string; ts: number; detail: string }[] = [];
  for (const e of events) {
    if (e.type === "alert" && e.source === "peerwatch") continue;
    for (const a of engine.onEvent(e)) out.push({ name: a.name, severity: a.severity, ts: e.ts, detail: a.detail });
  }
  return out;
}

export async function readAll(file: string): Promise<PeerwatchEvent[]> {
  const stats: RecordingStats = { lines: 0, invalid: 0, errors: [] };
  const out: PeerwatchEvent[] = [];
  for await (const e of readRecording([file], stats)) out.push(e);
  if (stats.invalid > 0) throw new LabError(`lab: ${file}: ${stats.invalid} invalid line(s): ${stats.errors.slice(0, 3).join("; ")}`);
  return out;
}

/** The pinger's RTT (ms) before and during the attack: what "P2P pinger + /proc" could see. */
function rttEvidence(events: PeerwatchEvent[], r: RecordingEntry): { before: number | null; during: number | null } {
  const median = (xs: number[]) => (xs.length ? (xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number) : null);
  const rtts = events.filter((e) => e.type === "ping.rtt") as Extract<PeerwatchEvent, { type: "ping.rtt" }>[];
  const before = rtts.filter((e) => e.ts < r.attackStartUs).map((e) => e.data.rttNs / 1e6);
  const during = rtts.filter((e) => e.ts >= r.attackStartUs && e.ts <= r.attackEndUs).map((e) => e.data.rttNs / 1e6);
  return { before: median(before), during: during.length ? Math.max(...during) : null };
}

export function scoreColumn(events: PeerwatchEvent[], r: RecordingEntry, s: Scenario, col: Column, ids: Set<number>, root = repoRoot()): Cell {
  const kept = col.sources ? events.filter((e) => (col.sources as readonly string[]).includes(e.source)) : events;
  const alerts = alertsOf(kept, root);
  const after = alerts
    .filter((a) => a.severity !== "info" && (s.kind === "benign" || a.ts >= r.attackStartUs - S))
    .map((a) => ({ name: a.name, severity: a.severity, afterSeconds: Math.round(((a.ts - r.attackStartUs) / S) * 10) / 10, detail: a.detail.slice(0, 300) }));
  const adversaryEvents = kept.filter((e) => namesAdversary(e, r.adversaryPrefixes, ids)).length;
  const cell: Cell = { detected: false, events: kept.length, adversaryEvents, otherAlerts: [] };
  if (s.kind === "benign") {
    cell.otherAlerts = after;
    return cell;
  }
  const hit = after.find((a) => s.detectWith.includes(a.name));
  cell.otherAlerts = after.filter((a) => !s.detectWith.includes(a.name)).slice(0, 5);
  if (hit) {
    cell.detected = true;
    cell.alert = hit.name;
    cell.latencySeconds = hit.afterSeconds;
    return cell;
  }
  if (col.key === "p2p-proc") {
    const { before, during } = rttEvidence(kept, r);
    const rose = before !== null && during !== null && during > 5 && during > 3 * before;
    cell.why = rose
      ? `no detector: the pinger's RTT rose from ${before?.toFixed(2)} ms to ${during?.toFixed(1)} ms, under processing-backlog's threshold`
      : `source cannot see it: the pinger sees no other peer, and its RTT did not rise (${before?.toFixed(2) ?? "?"} → ${during?.toFixed(2) ?? "?"} ms max)`;
  } else if (adversaryEvents === 0) {
    cell.why = "source cannot see it: no event of this source names an adversary";
  } else {
    const d = s.detectWith.join(" / ");
    cell.why = `no detector: ${adversaryEvents} events name the adversaries; ${d} ${alertExists(s.detectWith, root) ? "did not fire" : "does not exist yet"}`;
  }
  return cell;
}

/** Whether any of these alert names is raised by a heuristic peerwatch has today. */
export function alertExists(names: string[], root = repoRoot()): boolean {
  return defaultHeuristics(DEFAULT_THRESHOLDS, listsOf(root).tree).some((h) => names.includes(h.name));
}

function costOf(events: PeerwatchEvent[], from: number, to: number): CostReport["node"] | null {
  const t = new CostTally();
  for (const e of events) if (e.type === "threads.snapshot" && e.ts >= from && e.ts <= to) t.add(e);
  const node = t.report().node;
  return node.cpuPerSecond === null ? null : node;
}

export async function scoreRecording(dir: string, r: RecordingEntry, root = repoRoot()): Promise<ScenarioScore> {
  const s = scenarioNamed(r.name);
  const events = await readAll(path.join(dir, r.file));
  const ids = adversaryIds(events, r.adversaryPrefixes);
  const cells: Record<string, Cell> = {};
  for (const col of COLUMNS) cells[col.key] = scoreColumn(events, r, s, col, ids, root);
  // alertExists knows heuristics by their own names; one that raises several alerts (protocol-garbage also raises
  // misbehaving-peer) made an alert that another column raised look missing.
  if (Object.values(cells).some((c) => c.detected))
    for (const c of Object.values(cells)) if (c.why?.endsWith("does not exist yet")) c.why = c.why.replace(/does not exist yet$/, "did not fire");
  const first = events[0]?.ts ?? r.recordStartUs;
  const last = events[events.length - 1]?.ts ?? r.recordEndUs;
  // Cost over the attack, widened to two /proc samples when the attack is shorter than their interval.
  const cost = costOf(events, r.attackStartUs - 2 * S, r.attackEndUs + 2 * S);
  const dropped: Record<string, number> = {};
  for (const e of events) if (e.type === "events.dropped") dropped[e.data.source] = (dropped[e.data.source] ?? 0) + e.data.count;
  return {
    name: r.name,
    kind: r.kind,
    summary: s.summary,
    imitates: s.imitates,
    detectWith: s.detectWith,
    maxLatencySeconds: s.maxLatencySeconds,
    outcome: r.outcome,
    durationSeconds: Math.round((last - first) / S),
    cells,
    cost,
    dropped,
  };
}

export async function buildScorecard(dir: string, root = repoRoot()): Promise<Scorecard> {
  const m = loadManifest(dir);
  const scenarios: ScenarioScore[] = [];
  for (const r of m.recordings) scenarios.push(await scoreRecording(dir, r, root));
  const benign = scenarios.filter((s) => s.kind === "benign");
  const hours = benign.reduce((a, s) => a + s.durationSeconds, 0) / 3600;
  const warnings: Record<string, number> = {};
  const perHour: Record<string, number> = {};
  const list: Scorecard["benign"]["list"] = [];
  for (const col of COLUMNS) {
    let n = 0;
    for (const s of benign) {
      const c = s.cells[col.key] as Cell;
      n += c.otherAlerts.length;
      for (const a of c.otherAlerts) list.push({ scenario: s.name, column: col.key, alert: a });
    }
    warnings[col.key] = n;
    perHour[col.key] = hours > 0 ? Math.round((n / hours) * 10) / 10 : 0;
  }
  const { recordings: _r, ...rest } = m;
  return {
    generated: new Date().toISOString(),
    manifest: rest,
    columns: [...COLUMNS],
    scenarios,
    benign: { hours: Math.round(hours * 1000) / 1000, warnings, perHour, list },
    expectedMisses: loadExpectedMisses(root),
    sourceCost: fs.existsSync(path.join(dir, "cost.json")) ? (JSON.parse(fs.readFileSync(path.join(dir, "cost.json"), "utf8")) as SourceCost) : null,
  };
}
