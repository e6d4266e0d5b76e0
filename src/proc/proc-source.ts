// The "proc" source: per-thread CPU seconds of the node, every --proc-interval, as
// threads.snapshot events. Follows the node across restarts by re-reading its PID file.
import { sleep } from "../sources/abort.js";
import { findNodePid } from "../sources/discover.js";
import { StatusReporter } from "../sources/status-reporter.js";
import type { Source, SourceContext } from "../sources/types.js";
import type { ProcConfig } from "./options.js";
import { readThreads } from "./thread-stats.js";

export class ProcSource implements Source<ProcConfig> {
  readonly name = "proc" as const;

  constructor(private readonly procRoot = "/proc") {}

  async run({ config, emit, signal }: SourceContext<ProcConfig>): Promise<void> {
    const status = new StatusReporter(emit, "proc");
    while (!signal.aborted) {
      const found = findNodePid(config);
      if (found.pid === undefined) {
        status.report("down", found.why);
      } else {
        try {
          const threads = readThreads(found.pid, this.procRoot);
          status.report("up", `reading ${threads.length} threads of PID ${found.pid} (from ${found.from})`);
          emit("threads.snapshot", { pid: found.pid, threads });
        } catch (e) {
          status.report(
            "down",
            `cannot read ${this.procRoot}/${found.pid}/task (${(e as NodeJS.ErrnoException).code ?? String(e)}): the node process is gone or not ours to read`,
          );
        }
      }
      await sleep(config.procInterval * 1000, signal);
    }
    status.report("down", "stopped");
  }
}
