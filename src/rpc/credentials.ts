// RPC credentials: user/password, or the cookie file the node writes at start (and rewrites on
// every restart, with a new password). Values never leave this module in a log or an error.
import { readBoundedFile } from "../config/bounded-file.js";
import { RpcError } from "../codecs/jsonrpc/transport.js";

export interface Credentials {
  username: string;
  password: string;
}

export type CredentialSource = { kind: "userpass"; username: string; password: string } | { kind: "cookie"; path: string };

/** Largest cookie file read: Bitcoin Core's is `__cookie__:` + 64 hex characters. */
const MAX_COOKIE_BYTES = 4096;

export function readCookie(path: string): Credentials {
  let text: string;
  try {
    text = readBoundedFile(path, MAX_COOKIE_BYTES, "RPC cookie").trim();
  } catch (e) {
    const code = (e as { code?: string }).code ?? "error";
    throw new RpcError(
      "auth",
      code === "ENOENT" || code === "EACCES"
        ? `cannot read the RPC cookie ${path} (${code}); is the node running?`
        : `RPC cookie ${path}: not a cookie (${code})`,
    );
  }
  const i = text.indexOf(":");
  if (i <= 0 || i === text.length - 1) throw new RpcError("auth", `cookie file ${path} is not of the form user:password`);
  return { username: text.slice(0, i), password: text.slice(i + 1) };
}

export function resolveCredentials(src: CredentialSource): Credentials {
  return src.kind === "userpass" ? { username: src.username, password: src.password } : readCookie(src.path);
}

/** A URL fit for logs: no user info, no query. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === "/" ? "" : u.pathname}`;
  } catch {
    return "(invalid URL)";
  }
}
