// The layers of docs/architecture.md, checked on the imports themselves: core imports nothing
// above it; an extractor imports only core; a tool imports only core (and the IP lists); only
// the CLI wires extractors to tools.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./helpers/capture.js";

const SRC = path.join(REPO_ROOT, "src");
const CORE = ["events", "bus", "config", "codecs", "sources", "util", "logger", "version"];
const EXTRACTORS = ["ipc", "ebpf", "rpc", "p2p", "proc", "log"];

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return d.name === "generated" ? [] : files(p);
    return p.endsWith(".ts") ? [p] : [];
  });
}

/** Top-level part of src a file belongs to: "events", "ipc", "tools/metrics", "cli", … */
function part(file: string): string {
  const [first, second] = path.relative(SRC, file).split(path.sep) as [string, string?];
  if (first === "tools" && second) return `tools/${second}`;
  return first.replace(/\.[jt]s$/, ""); // a file right under src/, e.g. logger.ts

}

function layer(p: string): "core" | "extractor" | "tool" | "cli" {
  if (CORE.includes(p)) return "core";
  if (EXTRACTORS.includes(p)) return "extractor";
  if (p.startsWith("tools/")) return "tool";
  if (p === "cli") return "cli";
  throw new Error(`src/${p} belongs to no layer: add it to docs/architecture.md and this test`);
}

const edges = files(SRC).flatMap((file) => {
  const text = fs.readFileSync(file, "utf8");
  return [...text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)].map((m) => ({
    from: part(file),
    to: part(path.resolve(path.dirname(file), m[1] as string)),
    file: path.relative(REPO_ROOT, file),
    spec: m[1] as string,
  }));
});

describe("layers", () => {
  it("finds the imports it checks", () => {
    expect(edges.length).toBeGreaterThan(100);
  });

  it("every part of src belongs to a layer", () => {
    for (const e of edges) expect(() => layer(e.from)).not.toThrow();
  });

  it("core imports nothing above it", () => {
    const bad = edges.filter((e) => layer(e.from) === "core" && layer(e.to) !== "core");
    expect(bad).toEqual([]);
  });

  it("an extractor imports core and itself only: no other extractor, no tool", () => {
    const bad = edges.filter((e) => layer(e.from) === "extractor" && e.to !== e.from && layer(e.to) !== "core");
    expect(bad).toEqual([]);
  });

  it("a tool imports core, itself and the IP lists only: no extractor", () => {
    const bad = edges.filter((e) => layer(e.from) === "tool" && e.to !== e.from && layer(e.to) !== "core" && e.to !== "tools/iplists");
    expect(bad).toEqual([]);
  });

  it("nothing imports the CLI but the CLI", () => {
    const bad = edges.filter((e) => e.to === "cli" && e.from !== "cli");
    expect(bad).toEqual([]);
  });

  it("throws named errors: each module has its own error class (carrying the cause), no bare Error", () => {
    const bare = files(SRC).flatMap((f) =>
      fs
        .readFileSync(f, "utf8")
        .split("\n")
        .map((line, i) => ({ at: `${path.relative(REPO_ROOT, f)}:${i + 1}`, line }))
        .filter(({ line }) => /throw new Error\(/.test(line)),
    );
    expect(bare).toEqual([]);
  });
});
