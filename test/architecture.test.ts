// The layers of docs/architecture.md, checked on the imports themselves: core imports nothing
// above it; a source imports only core; a tool imports only core; only
// the CLI wires sources to tools; and no file imports itself round a circle.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./helpers/capture.js";

const SRC = path.join(REPO_ROOT, "src");
const CORE = ["events", "bus", "config", "codecs", "sources", "iplists", "util", "logger", "version"];
const SOURCES = ["ipc", "ebpf", "rpc", "p2p", "proc", "log"];

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

function layer(p: string): "core" | "source" | "tool" | "cli" {
  if (CORE.includes(p)) return "core";
  if (SOURCES.includes(p)) return "source";
  if (p.startsWith("tools/")) return "tool";
  if (p === "cli") return "cli";
  throw new Error(`src/${p} belongs to no layer: add it to docs/architecture.md and this test`);
}

/** Relative imports of a file: static, `export … from`, type-only and lazy `import()` alike. */
const importsOf = (file: string) => [...fs.readFileSync(file, "utf8").matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)].map((m) => m[1] as string);

const edges = files(SRC).flatMap((file) =>
  importsOf(file).map((spec) => ({
    from: part(file),
    to: part(path.resolve(path.dirname(file), spec)),
    file: path.relative(REPO_ROOT, file),
    spec,
  })),
);

/** File to the files it imports (paths relative to the repository; `x.js` is `x.ts`). */
const fileGraph = new Map(
  files(SRC).map((file) => [
    path.relative(REPO_ROOT, file),
    importsOf(file).map((spec) => path.relative(REPO_ROOT, path.resolve(path.dirname(file), spec)).replace(/\.js$/, ".ts")),
  ]),
);

/** Every import circle of a graph, each once, as the files around it (first file again at the end). */
function importCircles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const circles: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, "open");
    stack.push(f);
    for (const to of graph.get(f) ?? []) {
      if (state.get(to) === "open") circles.push([...stack.slice(stack.indexOf(to)), to]);
      else if (!state.has(to)) visit(to);
    }
    stack.pop();
    state.set(f, "done");
  };
  for (const f of [...graph.keys()].sort()) if (!state.has(f)) visit(f);
  return circles;
}

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

  it("a source imports core and itself only: no other source, no tool", () => {
    const bad = edges.filter((e) => layer(e.from) === "source" && e.to !== e.from && layer(e.to) !== "core");
    expect(bad).toEqual([]);
  });

  it("a tool imports core and itself only: no source, no other tool", () => {
    const bad = edges.filter((e) => layer(e.from) === "tool" && e.to !== e.from && layer(e.to) !== "core");
    expect(bad).toEqual([]);
  });

  it("nothing imports the CLI but the CLI", () => {
    const bad = edges.filter((e) => e.to === "cli" && e.from !== "cli");
    expect(bad).toEqual([]);
  });

  it("no import circle: a descriptor names its source, the source implements, neither imports the other", () => {
    expect(fileGraph.size).toBeGreaterThan(100);
    expect(importCircles(fileGraph)).toEqual([]);
  });

  it("the circle check finds a circle, the lazy import() of a factory too", () => {
    const graph = new Map([
      ["src/x/descriptor.ts", ["src/sources/types.ts", "src/x/x-source.ts"]],
      ["src/x/x-source.ts", ["src/x/options.ts", "src/x/descriptor.ts"]],
      ["src/x/options.ts", ["src/sources/types.ts"]],
      ["src/sources/types.ts", []],
    ]);
    expect(importCircles(graph)).toEqual([["src/x/descriptor.ts", "src/x/x-source.ts", "src/x/descriptor.ts"]]);
    graph.set("src/x/x-source.ts", ["src/x/options.ts"]);
    expect(importCircles(graph)).toEqual([]);
    // The graph is read from the files as they are: a lazy factory is an edge.
    expect(importsOf(path.join(SRC, "ipc/descriptor.ts"))).toContain("./ipc-source.js");
    expect(fileGraph.get("src/ipc/descriptor.ts")).toContain("src/ipc/ipc-source.ts");
  });

  it("throws named errors: each module has its own error class (carrying the cause), no bare Error", () => {
    const bare = files(SRC).flatMap((f) =>
      fs
        .readFileSync(f, "utf8")
        .split("\n")
        .map((line, i) => ({ at: `${path.relative(REPO_ROOT, f)}:${i + 1}`, line }))
        .filter(({ line }) => /throw new (Range|Type)?Error\(/.test(line)),
    );
    expect(bare).toEqual([]);
  });

  it("keeps types end to end: no `as never` in src/ (a cast that silences every check)", () => {
    const casts = files(SRC)
      .filter((f) => !f.includes(`${path.sep}generated${path.sep}`))
      .flatMap((f) =>
        fs
          .readFileSync(f, "utf8")
          .split("\n")
          .map((line, i) => ({ at: `${path.relative(REPO_ROOT, f)}:${i + 1}`, line }))
          .filter(({ line }) => /\bas never\b/.test(line)),
      );
    expect(casts).toEqual([]);
  });
});
