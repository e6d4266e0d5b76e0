// The poller's IPC transport: JSON-RPC text through Rpc.executeRpc, on its own server thread.
// No HTTP, no password: whoever can open the socket may call it.
import { RpcError, type RpcTransport } from "../codecs/jsonrpc/transport.js";
import { buildRequest, parseReply } from "../codecs/jsonrpc/jsonrpc.js";
import type { Rpc$Client } from "./generated/rpc.js";
import type { Thread$Client } from "./generated/mp/proxy.js";
import { IpcError, IpcSession } from "./session.js";

export class IpcRpcTransport implements RpcTransport {
  readonly name = "ipc";

  constructor(
    private readonly session: IpcSession,
    private readonly rpc: Rpc$Client,
    private readonly thread: Thread$Client,
  ) {}

  async call(method: string, params: readonly unknown[], timeoutMs: number): Promise<unknown> {
    const { text } = buildRequest(method, params);
    const answer = this.rpc.executeRpc((p) => {
      IpcSession.withThread(this.thread)(p);
      p.request = text;
      p.uri = "/";
      p.user = "peerwatch";
    });
    let reply: string;
    try {
      reply = (await this.session.track(`Rpc.executeRpc(${method})`, answer.promise(), timeoutMs)).result;
    } catch (e) {
      if (e instanceof IpcError) throw new RpcError(e.kind === "timeout" ? "timeout" : e.kind === "remote" ? "protocol" : "transport", e.message);
      throw e;
    }
    return parseReply(reply, method);
  }
}
