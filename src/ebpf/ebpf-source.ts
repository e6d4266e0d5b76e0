// The eBPF source: bpftrace on the node's USDT tracepoints. Finds the node's PID (--pid or its PID
// file), runs bpftrace, says up once the probes are attached, and when bpftrace ends (the node
// exited or restarted with a new PID, or bpftrace failed) says down with the reason in plain words
// and starts again with backoff.
import fs from "node:fs";
import { findNodePid } from "../sources/discover.js";
import { sleep } from "../sources/abort.js";
import type { Source, SourceContext } from "../sources/types.js";
import { runBpftrace } from "./bpftrace-runner.js";
import type { TracepointGroup } from "./program.js";

const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30_000;

export class EbpfSource implements Source {
  readonly name = "ebpf" as const;

  async run(ctx: SourceContext): Promise<void> {
    const { config, emit, log, signal } = ctx;
    const binary = config.bitcoinNodeBin as string;
    let backoff = BACKOFF_MIN_MS;
    let last = "";
    const down = (detail: string) => {
      if (detail === last) return;
      last = detail;
      emit("source.status", { source: "ebpf", state: "down", detail });
    };
    while (!signal.aborted) {
      const found = findNodePid(config);
      if (found.pid === undefined || !fs.existsSync(`/proc/${found.pid}`)) {
        down(found.pid === undefined ? found.why : `node process ${found.pid} is not running`);
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
        continue;
      }
      const pid = found.pid;
      let attached = false;
      const run = runBpftrace({
        binary,
        pid,
        groups: config.ebpfGroups as TracepointGroup[],
        payloadBytes: config.ebpfPayloadBytes,
        emit,
        log,
        signal,
        onAttached: (probes) => {
          attached = true;
          backoff = BACKOFF_MIN_MS;
          last = "";
          emit("source.status", { source: "ebpf", state: "up", detail: `bpftrace attached ${probes} probes to ${binary} PID ${pid}`, capabilities: [...config.ebpfGroups] });
        },
      });
      const reason = await run.done;
      if (signal.aborted) break;
      down(attached ? `bpftrace on PID ${pid} ended: ${reason}` : reason);
      log.debug({ stats: run.stats }, "bpftrace ended");
      await sleep(backoff, signal);
      backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
    }
    emit("source.status", { source: "ebpf", state: "down", detail: "stopped" });
  }
}

export async function createEbpfSource(): Promise<Source> {
  return new EbpfSource();
}


