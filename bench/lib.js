// Shared helpers of the benchmarks: the built modules, side-by-side comparison (interleaved rounds,
// median of each) and the report, which prints ratios to a baseline measured in the same run.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** A module of the build (benchmarks run what ships: dist/). */
export const dist = (p) => import(path.join(root, "dist", p));

export const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Runs each variant `rounds` times, interleaved; returns median ms per variant. */
export async function compare(variants, rounds = 7) {
  const times = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(variants)) {
      const t0 = performance.now();
      await fn();
      times[name].push(performance.now() - t0);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
}

export const results = [];

export const fmt = (n) => Math.round(n).toLocaleString("en");

/** Prints medians with their ratio to `base` and, when given, a rate; keeps them for the JSON. */
export function report(title, med, base, unitsPerRun, unit, extra = {}) {
  console.log(`\n${title}`);
  for (const [k, ms] of Object.entries(med)) {
    const rate = unitsPerRun ? `  ${fmt((unitsPerRun / ms) * 1000)} ${unit}/s` : "";
    console.log(`  ${k.padEnd(52)} ${ms.toFixed(2).padStart(9)} ms  ×${(ms / med[base]).toFixed(2)} of ${base}${rate}`);
  }
  results.push({ title, medianMs: med, baseline: base, ...(unitsPerRun ? { unitsPerRun, unit } : {}), ...extra });
}

/** Records figures that are not a comparison (a rate, a count, RSS). */
export function record(title, figures) {
  console.log(`\n${title}`);
  for (const [k, v] of Object.entries(figures)) console.log(`  ${k.padEnd(52)} ${typeof v === "number" ? fmt(v) : v}`);
  results.push({ title, figures });
}

export function writeResults(names) {
  fs.mkdirSync(path.join(root, "bench/results"), { recursive: true });
  const out = path.join(root, `bench/results/${names.length === 1 ? names[0] : "latest"}.json`);
  fs.writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, benchmarks: names, results }, null, 2));
  console.log(`\nwritten to ${path.relative(root, out)}`);
}

/** Waits until every subscription's queue is empty. */
export async function drained(subs) {
  while (subs.some((s) => s.pending > 0)) await new Promise((r) => setImmediate(r));
}
