// Builds native fixtures into test/.build/, only when their sources changed.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "./capture.js";

const BUILD = path.join(REPO_ROOT, "test/.build");

function newestMtime(files: string[]): number {
  return Math.max(...files.map((f) => fs.statSync(f).mtimeMs));
}

function listFiles(dir: string, ext: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p, ext));
    else if (p.endsWith(ext)) out.push(p);
  }
  return out;
}

function missingTool(tools: string[]): string | undefined {
  for (const t of tools) if (spawnSync(t, ["--version"]).error) return t;
  return undefined;
}

/** The C++ stand-in node, built with g++ and libcapnp from the same schema files as the client. */
export function buildStandin(): { path: string } | { skip: string } {
  const tool = missingTool(["g++", "capnp"]);
  if (tool) return { skip: `${tool} is not installed (Debian: g++, capnproto, libcapnp-dev; scripts/setup --test installs them)` };
  if (!fs.existsSync("/usr/include/capnp/rpc-twoparty.h")) return { skip: "libcapnp-dev is not installed (scripts/setup --test installs it)" };
  const src = path.join(REPO_ROOT, "test/ipc/standin/standin-node.c++");
  // A later version of the tracing fork's schema, served by the stand-in with --tracing=next.
  const nextSchema = path.join(REPO_ROOT, "test/ipc/standin/tracing_net_next.capnp");
  const schemas = listFiles(path.join(REPO_ROOT, "capnp"), ".capnp");
  const bin = path.join(BUILD, "standin-node");
  if (fs.existsSync(bin) && fs.statSync(bin).mtimeMs > newestMtime([src, nextSchema, ...schemas])) return { path: bin };
  const gen = path.join(BUILD, "standin-gen");
  fs.rmSync(gen, { recursive: true, force: true });
  fs.mkdirSync(gen, { recursive: true });
  const rel = schemas.map((s) => path.relative(REPO_ROOT, s));
  execFileSync("capnp", ["compile", `-oc++:${gen}`, "--src-prefix=capnp", "-Icapnp", ...rel], { cwd: REPO_ROOT, stdio: "inherit" });
  execFileSync("capnp", ["compile", `-oc++:${gen}`, "--src-prefix=test/ipc/standin", "-Icapnp", path.relative(REPO_ROOT, nextSchema)], {
    cwd: REPO_ROOT,
    stdio: "inherit",
  });
  // tracing_utxo's interfaces share names with tracing_net's; the stand-in serves only the latter.
  const generated = listFiles(gen, ".c++").filter((f) => !f.includes("tracing_utxo"));
  execFileSync("g++", ["-std=c++17", "-O1", `-I${gen}`, "-o", `${bin}.tmp`, src, ...generated, "-lcapnp-rpc", "-lcapnp", "-lkj-async", "-lkj", "-pthread"], {
    stdio: "inherit",
  });
  fs.renameSync(`${bin}.tmp`, bin);
  return { path: bin };
}

/** The USDT fixture: a C program firing Bitcoin Core's tracepoints, built with Debian's sys/sdt.h. */
export function buildUsdtFixture(): { path: string } | { skip: string } {
  const tool = missingTool(["gcc"]);
  if (tool) return { skip: "gcc is not installed" };
  const hasSdt = ["/usr/include/sys/sdt.h", "/usr/include/x86_64-linux-gnu/sys/sdt.h", "/usr/include/aarch64-linux-gnu/sys/sdt.h"].some((p) =>
    fs.existsSync(p),
  );
  if (!hasSdt) return { skip: "sys/sdt.h is missing (Debian: systemtap-sdt-dev; scripts/setup --test installs it)" };
  const src = path.join(REPO_ROOT, "test/ebpf/fixture/usdt-fixture.c");
  const bin = path.join(BUILD, "usdt-fixture");
  if (fs.existsSync(bin) && fs.statSync(bin).mtimeMs > fs.statSync(src).mtimeMs) return { path: bin };
  fs.mkdirSync(BUILD, { recursive: true });
  execFileSync("gcc", ["-O1", "-Wall", "-o", `${bin}.tmp`, src], { stdio: "inherit" });
  fs.renameSync(`${bin}.tmp`, bin);
  return { path: bin };
}

/** Whether real bpftrace can run here: installed, and we are root. */
export function bpftraceAvailable(): { ok: true } | { skip: string } {
  if (spawnSync("bpftrace", ["--version"]).error) return { skip: "bpftrace is not installed (Debian: bpftrace; scripts/setup --test installs it)" };
  if (process.getuid?.() !== 0) return { skip: "bpftrace needs root (or CAP_BPF+CAP_PERFMON+CAP_SYS_RESOURCE); run the tests as root" };
  return { ok: true };
}
