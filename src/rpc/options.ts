// The RPC source's rows of the option table and the config they make: shared by the descriptor
// (which names the source) and the source (which runs it), so neither imports the other.
import { z } from "zod";
import { CHAIN_PARAMS } from "../config/chains.js";
import { defineOptions, pathOrDefault } from "../config/options.js";
import { pathString } from "../config/values.js";
import { POLLER_OPTIONS } from "../sources/rpc-poller-options.js";
import type { SourceConfig } from "../sources/types.js";

export const RPC_OPTIONS = defineOptions({
  rpcUrl: {
    flag: "rpc-url",
    arg: "url",
    description: "JSON-RPC URL; port 8332, 48332 (testnet4), 38332 (signet), 18443 (regtest)",
    defaultText: "http://127.0.0.1:<port>",
    schema: z.url({ protocol: /^https?$/, message: "expected an http:// or https:// URL" }).optional(),
  },
  rpcCookie: { flag: "rpc-cookie", arg: "file", description: "RPC cookie file", defaultText: "<datadir>/<chain>/.cookie", schema: pathString.optional() },
  rpcUser: {
    flag: "rpc-user",
    arg: "user",
    description: "RPC user, with --rpc-password, instead of the cookie",
    schema: z.string().min(1).max(256).optional(),
  },
  rpcPassword: {
    flag: "rpc-password",
    arg: "password",
    description: "RPC password; prefer the cookie or PEERWATCH_RPC_PASSWORD (flags show in ps). Never logged",
    schema: z.string().min(1).max(1024).optional(),
    secret: true,
  },
  ...POLLER_OPTIONS,
});

export type RpcConfig = SourceConfig<typeof RPC_OPTIONS>;

export function rpcUrl(c: RpcConfig): string {
  return c.rpcUrl ?? `http://127.0.0.1:${CHAIN_PARAMS[c.chain].rpcPort}`;
}

export function rpcCookiePath(c: RpcConfig): string {
  return pathOrDefault(c.rpcCookie, c, ".cookie");
}
