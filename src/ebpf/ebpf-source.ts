// The eBPF source: bpftrace on the node's USDT tracepoints. Finds the node's PID (--pid or its PID
// file), runs bpftrace, says up once the probes are attached, and when bpftrace ends (the node
// exited or restarted with a new PID, or bpftrace failed) says down with the reason in plain words
// and starts again with backoff.
import { sleep } from "../sources/abort.js";
import { Backoff } from "../sources/backoff.js";
import { findNodePid, processAlive } from "../sources/discover.js";
import { StatusReporter } from "../sources/status-reporter.js";
import type { Source, SourceContext } from "../sources/types.js";
import { runBpftrace } from "./bpftrace-runner.js";
import type { TracepointGroup } from "./program.js";


export class EbpfSource implements Source {
  readonly name = "ebpf" as const;

  async run(ctx: SourceContext): Promise<void> {
    const { config, emit, log, signal } = ctx;
    const binary = config.bitcoinNodeBin as string;
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
      let attached = false;
      const run = runBpftrace({
        binary,
        pid,
        groups: config.ebpfGroups as TracepointGroup[],
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
      status.report("down", attached ? `bpftrace on PID ${pid} ended: ${reason}` : reason);
      log.debug({ stats: run.stats }, "bpftrace ended");
      await sleep(backoff.next(), signal);
    }
    status.report("down", "stopped");
  }
}

export async function createEbpfSource(): Promise<Source> {
  return new EbpfSource();
}


