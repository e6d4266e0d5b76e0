// The schema files must produce exactly the IDs and ordinals of Bitcoin Core master, as recorded
// in test/fixtures/reference/bitcoin-ipc.md, and the committed generated code must match the schema.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import * as common from "../../src/ipc/generated/common.js";
import * as echo from "../../src/ipc/generated/echo.js";
import * as init from "../../src/ipc/generated/init.js";
import * as mining from "../../src/ipc/generated/mining.js";
import * as proxy from "../../src/ipc/generated/mp/proxy.js";
import * as rpc from "../../src/ipc/generated/rpc.js";
import { REPO_ROOT } from "../helpers/capture.js";

const reference = fs.readFileSync(path.resolve(REPO_ROOT, "test/fixtures/reference/bitcoin-ipc.md"), "utf8");

/** `| Name \`0x…\` | @0 method(…); @1 …` rows of the reference's tables. */
function referenceRows(): Map<string, { id: bigint; members: Map<string, number> }> {
  const rows = new Map<string, { id: bigint; members: Map<string, number> }>();
  for (const line of reference.split("\n")) {
    const m = /^\| (\w+) `(0x[0-9a-f]+)` \| (.*) \|$/.exec(line);
    if (!m) continue;
    const members = new Map<string, number>();
    for (const mm of (m[3] ?? "").matchAll(/@(\d+) (\w+)/g)) members.set(mm[2]!, Number(mm[1]));
    rows.set(m[1]!, { id: BigInt(m[2]!), members });
  }
  return rows;
}

const clients: Record<string, { interfaceId: bigint; methods: readonly { methodName?: string; methodId: number }[] }> = {
  Init: init.Init$Client,
  Echo: echo.Echo$Client,
  Rpc: rpc.Rpc$Client,
  Mining: mining.Mining$Client,
  ThreadMap: proxy.ThreadMap$Client,
  Thread: proxy.Thread$Client,
};

describe("schema against the reference", () => {
  const rows = referenceRows();

  it("finds the reference tables", () => {
    expect([...rows.keys()].sort()).toEqual(["BlockRef", "Context", "Echo", "Init", "Mining", "Rpc", "Thread", "ThreadMap"]);
  });

  it.each(Object.keys(clients))("interface %s has the reference's type ID and method ordinals", (name) => {
    const ref = rows.get(name)!;
    const c = clients[name]!;
    expect(c.interfaceId).toBe(ref.id);
    const ours = new Map(c.methods.map((m) => [m.methodName ?? "?", m.methodId]));
    expect(ours).toEqual(ref.members);
  });

  it.each([
    ["Context", proxy.Context],
    ["BlockRef", common.BlockRef],
  ] as const)("struct %s has the reference's type ID", (name, cls) => {
    expect(BigInt(`0x${cls._capnp.id}`)).toBe(rows.get(name)!.id);
  });

  it("has the reference's file IDs", () => {
    const files = Object.fromEntries([...reference.matchAll(/(\w+) `(0x[0-9a-f]{16})`/g)].map((m) => [m[1], BigInt(m[2]!)]));
    expect(init._capnpFileId).toBe(files.init);
    expect(echo._capnpFileId).toBe(files.echo);
    expect(mining._capnpFileId).toBe(files.mining);
    expect(rpc._capnpFileId).toBe(files.rpc);
    expect(common._capnpFileId).toBe(files.common);
    expect(proxy._capnpFileId).toBe(files.proxy);
  });

  it("gives BlockRef and Context the reference's layout", () => {
    expect(common.BlockRef._capnp.size).toMatchObject({ dataByteLength: 8, pointerLength: 1 });
    expect(proxy.Context._capnp.size).toMatchObject({ dataByteLength: 0, pointerLength: 2 });
  });
});

describe("generated code", () => {
  const hasCapnp = !spawnSync("capnp", ["--version"]).error;
  if (!hasCapnp) console.warn("SKIPPING the staleness check of src/ipc/generated: the capnp compiler is not installed (Debian: capnproto)");
  it.skipIf(!hasCapnp)("is what scripts/gen-capnp.mjs makes from capnp/ now (run `npm run gen:capnp`)", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "pw-gen-"));
    execFileSync(process.execPath, [path.join(REPO_ROOT, "scripts/gen-capnp.mjs"), "--require", "--out", out], { cwd: REPO_ROOT, stdio: "pipe" });
    const committed = path.join(REPO_ROOT, "src/ipc/generated");
    const list = (d: string): string[] =>
      fs
        .readdirSync(d, { recursive: true, withFileTypes: false })
        .map(String)
        .filter((f) => f.endsWith(".ts"))
        .sort();
    expect(list(out)).toEqual(list(committed));
    for (const f of list(out)) {
      expect(fs.readFileSync(path.join(out, f), "utf8"), `${f} is stale`).toBe(fs.readFileSync(path.join(committed, f), "utf8"));
    }
  });
});
