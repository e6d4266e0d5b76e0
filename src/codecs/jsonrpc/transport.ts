// The poller's transport interface: how one JSON-RPC call reaches the node. Two implementations:
// HTTP (undici) and IPC (Rpc.executeRpc). Errors are typed so the poller can tell
// "the node said no" from "the node is not there".
export interface RpcTransport {
  /** Names the transport in logs and status, e.g. "ipc" or "http://127.0.0.1:8332". */
  readonly name: string;
  /** Calls one method; resolves to the raw JSON result (unvalidated) or rejects with an RpcError. */
  call(method: string, params: readonly unknown[], timeoutMs: number): Promise<unknown>;
  close?(): void;
}

export type RpcErrorKind =
  /** The node answered with a JSON-RPC error (code and message set). */
  | "rpc"
  /** The node could not be reached, or the connection broke. */
  | "transport"
  | "timeout"
  /** Wrong credentials (HTTP 401/403). */
  | "auth"
  /** The reply was not JSON-RPC. */
  | "protocol"
  /** A JSON-RPC result that fails the event model's schema. */
  | "invalid";

export class RpcError extends Error {
  override name = "RpcError";
  constructor(
    readonly kind: RpcErrorKind,
    message: string,
    readonly code?: number,
  ) {
    super(message);
  }
}

/** Bitcoin Core's JSON-RPC error codes the poller acts on. */
export const RPC_METHOD_NOT_FOUND = -32601;
export const RPC_IN_WARMUP = -28;
