// Drives the USDT fixture program (test/ebpf/fixture/usdt-fixture.c).
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { inject } from "vitest";
import { bpftraceAvailable } from "./build-fixtures.js";

/** The fixture binary and bpftrace, or a loud skip reason. */
export function ebpfTestSetup(): { path: string } | { skip: string } {
  const fixture = inject("usdtFixture");
  const bt = bpftraceAvailable();
  const r = "skip" in fixture ? fixture : "skip" in bt ? bt : fixture;
  return r;
}

export class UsdtFixture {
  private child: ChildProcessWithoutNullStreams | undefined;
  private out = "";
  pid = 0;

  constructor(private readonly bin: string) {}

  async start(): Promise<number> {
    this.out = "";
    this.child = spawn(this.bin, [], { stdio: "pipe" });
    this.child.stdout.on("data", (d: Buffer) => (this.out += d.toString()));
    const m = await this.wait(/^ready (\d+)$/m);
    this.pid = Number(m[1]);
    return this.pid;
  }

  private async wait(re: RegExp, from = 0, ms = 60_000): Promise<RegExpExecArray> {
    const end = Date.now() + ms;
    for (;;) {
      const m = re.exec(this.out.slice(from));
      if (m) return m;
      if (Date.now() > end) throw new Error(`fixture did not print ${re}; output: ${this.out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Sends a command; resolves with the rest of its "done <command> …" line. */
  async send(cmd: string): Promise<string> {
    const from = this.out.length;
    this.child!.stdin.write(`${cmd}\n`);
    const m = await this.wait(new RegExp(`^done ${cmd.split(" ")[0]}(.*)$`, "m"), from);
    return (m[1] ?? "").trim();
  }

  async quit(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once("exit", r));
    c.stdin.write("quit\n");
    await exited;
  }
}
