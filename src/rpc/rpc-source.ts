// The RPC source: the poller over HTTP. The fallback when there is no IPC socket, and the source of
// snapshots on nodes whose IPC has no Rpc interface.
import { aborted } from "../sources/abort.js";
import { runningNodeBinary } from "../sources/discover.js";
import type { Source, SourceContext } from "../sources/types.js";
import { rpcCookiePath, rpcUrl, type RpcConfig } from "./options.js";
import { HttpRpcTransport } from "./http-transport.js";
import { RpcPoller, defaultSchedule } from "../sources/rpc-poller.js";

export class RpcSource implements Source<RpcConfig> {
  readonly name = "rpc" as const;

  async run({ config, emit, log, signal }: SourceContext<RpcConfig>): Promise<void> {
    const transport = new HttpRpcTransport({
      url: rpcUrl(config),
      credentials:
        config.rpcUser !== undefined && config.rpcPassword !== undefined
          ? { kind: "userpass", username: config.rpcUser, password: config.rpcPassword }
          : { kind: "cookie", path: rpcCookiePath(config) },
      timeoutMs: config.rpcTimeout * 1000,
    });
    const poller = new RpcPoller({
      source: "rpc",
      transport,
      schedule: defaultSchedule(config.rpcInterval * 1000, config.rpcSlowInterval * 1000, config.rpcDisable),
      timeoutMs: config.rpcTimeout * 1000,
      emit,
      onHealth: (h) => emit("source.status", { source: "rpc", state: h.state, detail: h.detail }),
      onUnsupported: (method, message) => log.info(`the node does not know ${method} (${message}); not polling it`),
      // The binary of the running node, when it runs here, says whether it is the multiprocess one.
      identity: () => ({ chain: config.chain, multiprocess: runningNodeBinary(config)?.multiprocess }),
    });
    poller.start();
    await aborted(signal);
    poller.stop();
    // Calls still in flight are aborted: a node answering late must not hold the stop.
    transport.close();
    emit("source.status", { source: "rpc", state: "down", detail: "stopped" });
  }
}
