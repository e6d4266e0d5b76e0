// JSON-RPC text in and out, for transports that carry raw text (IPC executeRpc). Bounded and
// validated: a reply is parsed once (after a depth check), checked for the JSON-RPC shape, and turned into a result or
// an RpcError; it never throws anything else.
import { z } from "zod";
import { MAX_JSON_DEPTH, jsonDepthExceeds } from "../../util/json-depth.js";
import { RpcError } from "./transport.js";

/** Largest reply accepted: getpeerinfo of a full node is well under 1 MiB. */
export const MAX_REPLY_BYTES = 32 * 1024 * 1024;

let nextId = 1;

export function buildRequest(method: string, params: readonly unknown[]): { id: number; text: string } {
  const id = nextId++;
  return { id, text: JSON.stringify({ jsonrpc: "2.0", id, method, params }) };
}

const reply = z.object({
  result: z.unknown().optional(),
  error: z
    .object({ code: z.number().int(), message: z.string().max(4096) })
    .nullable()
    .optional(),
  id: z.union([z.number(), z.string(), z.null()]).optional(),
});

export function parseReply(text: string, method: string): unknown {
  if (text.length > MAX_REPLY_BYTES) throw new RpcError("protocol", `${method}: reply of ${text.length} bytes exceeds ${MAX_REPLY_BYTES}`);
  if (jsonDepthExceeds(text)) throw new RpcError("protocol", `${method}: reply nests deeper than ${MAX_JSON_DEPTH} levels`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new RpcError("protocol", `${method}: reply is not JSON (${(e as Error).message})`);
  }
  const r = reply.safeParse(json);
  if (!r.success) throw new RpcError("protocol", `${method}: reply is not a JSON-RPC response`);
  if (r.data.error) throw new RpcError("rpc", `${method}: ${r.data.error.message}`, r.data.error.code);
  if (!("result" in (json as object))) throw new RpcError("protocol", `${method}: reply has neither result nor error`);
  return r.data.result;
}
