// NATS settings: their rows of the option table, their zod schema, and the client's connection
// options built from them. Secrets (password, token, creds, NKey seed) come from flags, PEERWATCH_*
// variables or files; they go to the client and nowhere else (see `describeServers` for logging).
import fs from "node:fs";
import { credsAuthenticator, nkeyAuthenticator, type Authenticator, type ConnectionOptions } from "@nats-io/transport-node";
import { z } from "zod";
import { defineOptions, type OptionValues } from "../../config/options.js";
import { pathString, seconds, wholeNumber } from "../../config/values.js";
import { NatsConfigError } from "./errors.js";

const file = pathString;
const SUBJECT_SAFE = /^[A-Za-z0-9_-]{1,64}$/;

/** One or more server URLs; a bare host:port means nats://host:port. */
const serverList = z.string().transform((s, ctx) => {
  const out: string[] = [];
  for (const raw of s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean)) {
    const withScheme = /^[a-z]+:\/\//i.test(raw) ? raw : `nats://${raw}`;
    let u: URL | undefined;
    try {
      u = new URL(withScheme);
    } catch {
      u = undefined;
    }
    if (!u || !["nats:", "tls:"].includes(u.protocol) || !u.hostname) {
      ctx.addIssue({ code: "custom", message: `expected nats://host:port or tls://host:port, got "${describeServer(raw).slice(0, 100)}"` });
      return z.NEVER;
    }
    out.push(withScheme);
  }
  if (out.length === 0 || out.length > 32) {
    ctx.addIssue({ code: "custom", message: "expected 1 to 32 server URLs" });
    return z.NEVER;
  }
  return out;
});

const nameList = z.string().transform((s, ctx) => {
  const names = [
    ...new Set(
      s
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean),
    ),
  ];
  const bad = names.find((n) => !/^[A-Za-z0-9._-]{1,128}$/.test(n));
  if (bad !== undefined || names.length === 0 || names.length > 256) {
    ctx.addIssue({
      code: "custom",
      message: bad !== undefined ? `"${bad.slice(0, 40)}" is not a node name (letters, digits, '.', '_' and '-')` : "expected 1 to 256 node names",
    });
    return z.NEVER;
  }
  return names;
});

const subjectSafe = z.string().regex(SUBJECT_SAFE, "letters, digits, '_' and '-' only, at most 64");

/** Rows shared by every command that talks to NATS (observe, tools). */
export const NATS_OPTIONS = defineOptions({
  nats: {
    flag: "nats",
    arg: "url",
    description:
      "NATS server(s) to publish events to (observe, replay) or read them from (tools, replay --from-stream): nats://host:4222 or tls://host:4222, comma " +
      "list for a cluster",
    schema: serverList.optional(),
  },
  natsUser: {
    flag: "nats-user",
    arg: "user",
    description: "NATS user (with --nats-password, PEERWATCH_NATS_PASSWORD or --nats-password-file)",
    schema: z.string().min(1).max(256).optional(),
  },
  natsPassword: {
    flag: "nats-password",
    arg: "password",
    description: "NATS password (prefer PEERWATCH_NATS_PASSWORD or --nats-password-file: flags show in ps); never logged",
    secret: true,
    schema: z.string().min(1).max(1024).optional(),
  },
  natsPasswordFile: { flag: "nats-password-file", arg: "file", description: "file holding the NATS password", schema: file.optional() },
  natsToken: {
    flag: "nats-token",
    arg: "token",
    description: "NATS token (prefer PEERWATCH_NATS_TOKEN or --nats-token-file); never logged",
    secret: true,
    schema: z.string().min(1).max(1024).optional(),
  },
  natsTokenFile: { flag: "nats-token-file", arg: "file", description: "file holding the NATS token", schema: file.optional() },
  natsCreds: { flag: "nats-creds", arg: "file", description: "NATS credentials file (JWT and NKey seed, as made by nsc)", schema: file.optional() },
  natsNkey: { flag: "nats-nkey", arg: "file", description: "file holding a NATS user NKey seed (SU…)", schema: file.optional() },
  natsTlsCa: { flag: "nats-tls-ca", arg: "file", description: "CA certificate(s) that sign the NATS server's certificate (PEM)", schema: file.optional() },
  natsTlsCert: { flag: "nats-tls-cert", arg: "file", description: "client certificate for NATS TLS (PEM, with --nats-tls-key)", schema: file.optional() },
  natsTlsKey: { flag: "nats-tls-key", arg: "file", description: "client key for NATS TLS (PEM)", schema: file.optional() },
  natsStream: {
    flag: "nats-stream",
    arg: "name",
    description: "JetStream stream that holds the events (created if missing); without it, core NATS (nothing stored)",
    schema: subjectSafe.optional(),
  },
  natsStreamMaxAge: {
    flag: "nats-stream-max-age",
    arg: "seconds",
    description: "when the stream is created: drop events older than this",
    defaultText: "604800",
    schema: seconds(10 * 365 * 86400).default(7 * 86400),
  },
  natsStreamMaxBytes: {
    flag: "nats-stream-max-bytes",
    arg: "n",
    description: "when the stream is created: its size limit in bytes (oldest events go first)",
    defaultText: "1073741824",
    schema: wholeNumber(1024 * 1024, 2 ** 50).default(1024 ** 3),
  },
  natsBuffer: {
    flag: "nats-buffer",
    arg: "n",
    description: "events held while NATS is unreachable; beyond that they are dropped and counted",
    defaultText: "10000",
    schema: wholeNumber(1, 10_000_000).default(10_000),
  },
});

/** Rows only `peerwatch tools` has. */
export const NATS_TOOLS_OPTIONS = defineOptions({
  nodes: {
    flag: "nodes",
    arg: "list",
    description: "comma list of node names to read; metrics carry a node label unless exactly one is named",
    defaultText: "every node on the server",
    schema: nameList.optional(),
  },
  natsDurable: {
    flag: "nats-durable",
    arg: "name",
    description: "read through this durable JetStream consumer of --nats-stream: a restarted tools process resumes where it stopped",
    schema: subjectSafe.optional(),
  },
});

export type NatsSettings = OptionValues<typeof NATS_OPTIONS>;
/** What the bus needs once --nats is given (the other settings may be absent). */
export type NatsConnectSettings = Partial<NatsSettings> & Pick<NatsSettings, "natsStreamMaxAge" | "natsStreamMaxBytes" | "natsBuffer"> & { nats: string[] };

/** Checks between settings that zod's per-field schema cannot see; returns the problem or undefined. */
export function natsSettingsProblem(s: Partial<NatsSettings> & { natsDurable?: string }): string | undefined {
  const given = (k: keyof NatsSettings) => s[k] !== undefined;
  if (!s.nats) {
    const stray = (Object.keys(NATS_OPTIONS) as (keyof NatsSettings)[]).find(
      (k) => k !== "nats" && given(k) && !["natsStreamMaxAge", "natsStreamMaxBytes", "natsBuffer"].includes(k),
    );
    if (stray) return `--${kebab(stray)} needs --nats`;
    if (s.natsDurable) return "--nats-durable needs --nats";
    return undefined;
  }
  if (given("natsPassword") && given("natsPasswordFile")) return "give --nats-password or --nats-password-file, not both";
  if (given("natsToken") && given("natsTokenFile")) return "give --nats-token or --nats-token-file, not both";
  const hasPass = given("natsPassword") || given("natsPasswordFile");
  if (given("natsUser") !== hasPass) return "--nats-user and a NATS password (--nats-password, PEERWATCH_NATS_PASSWORD or --nats-password-file) go together";
  const kinds = [given("natsUser"), given("natsToken") || given("natsTokenFile"), given("natsCreds"), given("natsNkey")].filter(Boolean).length;
  if (kinds > 1) return "choose one NATS authentication: user/password, token, creds file or NKey";
  if (given("natsTlsCert") !== given("natsTlsKey")) return "--nats-tls-cert and --nats-tls-key go together";
  if (s.natsDurable && !s.natsStream) return "--nats-durable needs --nats-stream (the stream the consumer reads)";
  return undefined;
}

function kebab(k: string): string {
  return k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Largest secret or credentials file read. */
const MAX_SECRET_FILE_BYTES = 64 * 1024;

/** Reads a secret file; the error names the file and why, never its content. */
export function readSecretFile(path: string, what: string): Uint8Array {
  let st: fs.Stats;
  try {
    st = fs.statSync(path);
  } catch (e) {
    throw new NatsConfigError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  if (!st.isFile()) throw new NatsConfigError(`${what} ${path} is not a file`);
  if (st.size > MAX_SECRET_FILE_BYTES) throw new NatsConfigError(`${what} ${path} is ${st.size} bytes; at most ${MAX_SECRET_FILE_BYTES}`);
  try {
    return fs.readFileSync(path);
  } catch (e) {
    throw new NatsConfigError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
}

const secretText = (path: string, what: string) => {
  const text = Buffer.from(readSecretFile(path, what))
    .toString("utf8")
    .replace(/\r?\n$/, "");
  if (text === "") throw new NatsConfigError(`${what} ${path} is empty`);
  return text;
};

/** The client's options: reconnect forever with a short, jittered wait; auth and TLS from the settings. */
export function connectionOptions(s: NatsConnectSettings, clientName: string): ConnectionOptions {
  // user:password@ (or token@) in a URL is taken out of it: the client wants them as options, and
  // the URL then is safe to show.
  let urlUser: string | undefined;
  let urlPass: string | undefined;
  const servers = s.nats.map((raw) => {
    const u = new URL(raw);
    if (!u.username && !u.password) return raw;
    urlUser ??= decodeURIComponent(u.username);
    urlPass ??= decodeURIComponent(u.password);
    return `${u.protocol}//${u.host}`;
  });
  const opts: ConnectionOptions = {
    servers,
    name: clientName,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    reconnectJitter: 500,
    reconnectJitterTLS: 1000,
    pingInterval: 20_000,
    maxPingOut: 3,
    timeout: 10_000,
  };
  if (urlUser && urlPass) {
    opts.user = urlUser;
    opts.pass = urlPass;
  } else if (urlUser) {
    opts.token = urlUser;
  }
  if (s.natsUser) {
    opts.user = s.natsUser;
    opts.pass = s.natsPassword ?? secretText(s.natsPasswordFile as string, "NATS password file");
  }
  if (s.natsToken || s.natsTokenFile) opts.token = s.natsToken ?? secretText(s.natsTokenFile as string, "NATS token file");
  let auth: Authenticator | undefined;
  if (s.natsCreds) auth = credsAuthenticator(readSecretFile(s.natsCreds, "NATS creds file"));
  if (s.natsNkey) auth = nkeyAuthenticator(new TextEncoder().encode(secretText(s.natsNkey, "NATS NKey seed file").trim()));
  if (auth) opts.authenticator = auth;
  const wantsTls = s.natsTlsCa || s.natsTlsCert || s.nats.some((u) => u.startsWith("tls://"));
  if (wantsTls) {
    for (const [f, what] of [
      [s.natsTlsCa, "NATS TLS CA file"],
      [s.natsTlsCert, "NATS TLS certificate"],
      [s.natsTlsKey, "NATS TLS key"],
    ] as const) {
      if (f) readSecretFile(f, what); // fail early with a clear message, not deep in the TLS handshake
    }
    opts.tls = { caFile: s.natsTlsCa, certFile: s.natsTlsCert, keyFile: s.natsTlsKey };
  }
  return opts;
}

/** A server URL fit for logs: any user:password@ in it is masked. */
export function describeServer(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//***@");
}

export function describeServers(urls: readonly string[]): string {
  return urls.map(describeServer).join(",");
}
