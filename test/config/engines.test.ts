// `npm ci` on the Node the README names must not warn EBADENGINE: every runtime package in the lock
// file must accept the oldest Node that package.json's engines allow (issue 22: @nats-io/nuid 3
// wanted Node >= 22 while peerwatch says >= 20.19).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

type Version = [number, number, number];

function parse(v: string): Version {
  const [a = 0, b = 0, c = 0] = v
    .replace(/\.x$/i, "")
    .split(".")
    .map((n) => Number.parseInt(n, 10));
  return [a, b, c];
}

function cmp(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** Whether `v` satisfies an engines range of the forms the lock file uses: ">=X", "^X", "*", joined by "||". */
function satisfies(v: Version, range: string): boolean {
  return range.split("||").some((alt) => {
    const r = alt.trim();
    if (r === "*" || r === "") return true;
    const m = /^(>=|\^)\s*(\d+(?:\.\d+)?(?:\.\d+)?(?:\.x)?)$/i.exec(r);
    if (!m) throw new Error(`engines range not understood: ${JSON.stringify(range)}`);
    const low = parse(m[2]!);
    if (m[1] === ">=") return cmp(v, low) >= 0;
    return v[0] === low[0] && cmp(v, low) >= 0;
  });
}

describe("engines", () => {
  const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { engines: { node: string } };
  const lock = JSON.parse(readFileSync("package-lock.json", "utf8")) as { packages: Record<string, { engines?: { node?: string } | string[]; dev?: boolean }> };
  const floor = /^>=\s*(\d+\.\d+(?:\.\d+)?)$/.exec(pkg.engines.node);

  it("package.json names a single Node floor, and the README says the same", () => {
    expect(floor).not.toBeNull();
    expect(readFileSync("README.md", "utf8")).toMatch(new RegExp(`Node(?:\\.js)?\\s*(?:>=|≥)\\s*${floor![1]!.replace(/\./g, "\\.")}`));
  });

  it("every package npm ci installs accepts that Node (no EBADENGINE)", () => {
    const oldest = parse(floor![1]!);
    const refusing: string[] = [];
    for (const [path, p] of Object.entries(lock.packages)) {
      const node = Array.isArray(p.engines) ? undefined : p.engines?.node;
      if (path === "" || node === undefined) continue;
      if (!satisfies(oldest, node)) refusing.push(`${path.replace(/^node_modules\//, "")} wants node ${node}`);
    }
    expect(refusing).toEqual([]);
  });
});
