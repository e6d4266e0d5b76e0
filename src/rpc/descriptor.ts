// The RPC source (poller over HTTP) as the CLI sees it: its options, its check, its factory.
import fs from "node:fs";
import { errCode } from "../sources/discover.js";
import { defineSource } from "../sources/types.js";
import { RPC_OPTIONS, rpcCookiePath, rpcUrl } from "./options.js";

export const rpcDescriptor = defineSource({
  name: "rpc",
  summary: "JSON-RPC poller over HTTP: peers and node snapshots",
  options: RPC_OPTIONS,
  validate: (c) =>
    (c.rpcUser === undefined) !== (c.rpcPassword === undefined) ? "--rpc-user and --rpc-password go together (or use the cookie file)" : undefined,
  check(c) {
    if (c.rpcUser !== undefined) return { ok: true, detail: `${rpcUrl(c)} with user/password` };
    const cookie = rpcCookiePath(c);
    try {
      fs.accessSync(cookie, fs.constants.R_OK);
      return { ok: true, detail: `${rpcUrl(c)} with cookie ${cookie}` };
    } catch (e) {
      return { ok: false, reason: `no readable RPC cookie at ${cookie} (${errCode(e)}) and no --rpc-user/--rpc-password` };
    }
  },
  create: async () => new (await import("./rpc-source.js")).RpcSource(),
});
