// The poller's HTTP transport, through the `bitcoin-core` npm client (auth, timeout, keep-alive
// handled there). Its own JSON parser turns numbers with more than 15 digits into strings
// (json-bigint), which would break validation of e.g. getblockchaininfo's difficulty, so replies
// are parsed by our JSON-RPC parser instead, the same one the IPC transport uses. The client drags
// old dependencies (`request`); it stays behind the RpcTransport interface so it can be swapped.
import Client from "bitcoin-core";
import { parseReply } from "../codecs/jsonrpc/jsonrpc.js";
import { resolveCredentials, safeUrl, type CredentialSource, type Credentials } from "./credentials.js";
import { RpcError, type RpcTransport } from "../codecs/jsonrpc/transport.js";

interface RawResponse {
  statusCode: number;
  body: unknown;
}

export interface HttpTransportOptions {
  url: string;
  credentials: CredentialSource;
  timeoutMs: number;
}

export class HttpRpcTransport implements RpcTransport {
  readonly name: string;
  private client: Client | undefined;
  private creds: Credentials | undefined;

  constructor(private readonly o: HttpTransportOptions) {
    this.name = safeUrl(o.url);
  }

  async call(method: string, params: readonly unknown[], _timeoutMs: number): Promise<unknown> {
    try {
      return await this.once(method, params);
    } catch (e) {
      // The node rewrites its cookie on every start: on 401, read it again once and retry.
      if (e instanceof RpcError && e.kind === "auth" && this.o.credentials.kind === "cookie") {
        this.client = undefined;
        return this.once(method, params);
      }
      throw e;
    }
  }

  private getClient(): Client {
    if (!this.client) {
      this.creds = resolveCredentials(this.o.credentials);
      const c = new Client({
        host: this.o.url,
        username: this.creds.username,
        password: this.creds.password,
        timeout: this.o.timeoutMs,
        // Its request logging is off: peerwatch logs what matters, and never credentials.
        logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      });
      // Keep the raw response: our parser, not json-bigint's (see above).
      (c as unknown as { parser: { rpc: (r: RawResponse) => RawResponse } }).parser.rpc = (r) => r;
      this.client = c;
    }
    return this.client;
  }

  private async once(method: string, params: readonly unknown[]): Promise<unknown> {
    let res: RawResponse;
    try {
      res = (await this.getClient().command(method, ...params)) as RawResponse;
    } catch (e) {
      throw this.transportError(method, e);
    }
    if (res.statusCode === 401 || res.statusCode === 403) {
      throw new RpcError("auth", `${method}: ${this.name} refused the credentials (HTTP ${res.statusCode})`);
    }
    const body = typeof res.body === "string" ? res.body : "";
    if (!body.trimStart().startsWith("{")) {
      throw new RpcError("protocol", `${method}: HTTP ${res.statusCode} from ${this.name} without a JSON-RPC body`);
    }
    return parseReply(body, method);
  }

  /** Errors from `request`: codes only, never the request options (they hold the password). */
  private transportError(method: string, e: unknown): RpcError {
    if (e instanceof RpcError) return e;
    const code = (e as NodeJS.ErrnoException).code ?? "";
    if (code === "ETIMEDOUT" || code === "ESOCKETTIMEDOUT") return new RpcError("timeout", `${method}: no answer from ${this.name} in ${this.o.timeoutMs} ms`);
    if (code === "ECONNREFUSED") return new RpcError("transport", `${method}: connection refused by ${this.name} (node not running, or RPC not enabled)`);
    return new RpcError("transport", `${method}: ${this.name}: ${code || (e as Error).message?.replace(/\/\/[^@/]*@/g, "//") || "request failed"}`);
  }
}
