// The eBPF source: bpftrace on the node's USDT tracepoints. Finds the node's PID (--pid or its PID
// file), runs bpftrace, says up once the probes are attached, and when bpftrace ends (the node
// exited or restarted with a new PID, or bpftrace failed) says down with the reason in plain words
// and starts again with backoff.
import { sleep } from "../sources/abort.js";
import { Backoff } from "../sources/backoff.js";
import { findNodePid, processAlive } from "../sources/discover.js";
import { nodeBinary, type EbpfConfig } from "./options.js";
import { StatusReporter } from "../sources/status-reporter.js";
import type { Source, SourceContext } from "../sources/types.js";
import { runBpftrace } from "./bpftrace-runner.js";

export class EbpfSource implements Source<EbpfConfig> {
  readonly name = "ebpf" as const;

  async run(ctx: SourceContext<EbpfConfig>): Promise<void> {
    const { config, emit, log, signal } = ctx;
    const backoff = new Backoff(1000, 30_000);
    const status = new StatusReporter(emit, "ebpf");
    while (!signal.aborted) {
      const found = findNodePid(config);
      if (found.pid === undefined || !processAlive(found.pid)) {
        status.report("down", found.pid === undefined ? found.why : `node process ${found.pid} is not running`);
        await sleep(backoff.next(), signal);
        continue;
      }
      const pid = found.pid;
      // Found again for each PID: a restarted node may run a rebuilt binary.
      const bin = nodeBinary(config, pid);
      if (!bin) {
        status.report("down", `cannot read /proc/${pid}/exe (the node's binary); pass --bitcoin-node-bin`);
        await sleep(backoff.next(), signal);
        continue;
      }
      const binary = bin.path;
      let attached = false;
      const run = runBpftrace({
        binary,
        pid,
        groups: config.ebpfGroups,
        payloadBytes: config.payloadBytes,
        emit,
        log,
        signal,
        onAttached: (probes) => {
          attached = true;
          backoff.reset();
          status.report("up", `bpftrace attached ${probes} probes to ${binary} PID ${pid}`, [...config.ebpfGroups]);
        },
      });
      const reason = await run.done;
      if (signal.aborted) break;
      // bpftrace leaves by itself when the process it traces exits ("exited (code 0)"): say that the node is gone.
      const why = processAlive(pid) ? reason : `the node process is gone (${reason})`;
      status.report("down", attached ? `bpftrace on PID ${pid} ended: ${why}` : why);
      log.debug({ stats: run.stats }, "bpftrace ended");
      await sleep(backoff.next(), signal);
    }
    status.report("down", "stopped");
  }
}
