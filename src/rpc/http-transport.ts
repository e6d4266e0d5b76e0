// The poller's HTTP transport on undici (the HTTP client under Node's own fetch; its request API is
// ~2× faster than fetch for small replies here, see docs/benchmarks.md): keep-alive connections in
// a small pool of its own, each call with its own deadline (AbortSignal.timeout), close() aborts
// the calls in flight so a stop never waits for a slow node, the body is read as a stream and
// abandoned at the size cap, and it is parsed once by our JSON-RPC codec (bounded depth, numbers
// stay numbers). Errors are RpcErrors that name the URL without user info, never the credentials.
import { Pool, type Dispatcher } from "undici";
import { MAX_REPLY_BYTES, buildRequest, parseReply } from "../codecs/jsonrpc/jsonrpc.js";
import { RpcError, type RpcTransport } from "../codecs/jsonrpc/transport.js";
import { resolveCredentials, safeUrl, type CredentialSource } from "./credentials.js";

export interface HttpTransportOptions {
  url: string;
  credentials: CredentialSource;
  /** Default deadline of a call, when the caller gives none. */
  timeoutMs: number;
  /** Largest reply body read (default: the codec's MAX_REPLY_BYTES). */
  maxReplyBytes?: number;
}

export class HttpRpcTransport implements RpcTransport {
  readonly name: string;
  private readonly endpoint: URL | undefined;
  private readonly pool: Pool | undefined;
  private readonly closing = new AbortController();
  private authorization: string | undefined;

  constructor(private readonly o: HttpTransportOptions) {
    this.name = safeUrl(o.url);
    this.endpoint = endpointOf(o.url);
    // Few connections: bitcoind serves RPC with 4 threads by default (-rpcthreads), and a
    // queue of 16 (-rpcworkqueue) it answers 503 past; more sockets would only fill it.
    if (this.endpoint) this.pool = new Pool(this.endpoint.origin, { connections: 4 });
  }

  async call(method: string, params: readonly unknown[], timeoutMs: number = this.o.timeoutMs): Promise<unknown> {
    try {
      return await this.once(method, params, timeoutMs);
    } catch (e) {
      // The node rewrites its cookie on every start: on 401, read it again once and retry.
      if (e instanceof RpcError && e.kind === "auth" && this.o.credentials.kind === "cookie" && !this.closing.signal.aborted) {
        this.authorization = undefined;
        return this.once(method, params, timeoutMs);
      }
      throw e;
    }
  }

  /** Aborts every call in flight (they reject with a transport error) and refuses new ones. */
  close(): void {
    this.closing.abort();
    void this.pool?.destroy().catch(() => {});
  }

  private async once(method: string, params: readonly unknown[], timeoutMs: number): Promise<unknown> {
    if (!this.endpoint || !this.pool) throw new RpcError("transport", `${method}: ${this.name} is not an http(s) URL`);
    if (this.closing.signal.aborted) throw new RpcError("transport", `${method}: stopped`);
    const authorization = this.authorize();
    const signal = AbortSignal.any([this.closing.signal, AbortSignal.timeout(timeoutMs)]);
    let status: number;
    let body: string;
    try {
      const res = await this.pool.request({
        method: "POST",
        path: this.endpoint.pathname + this.endpoint.search,
        headers: { authorization, "content-type": "application/json" },
        body: buildRequest(method, params).text,
        signal,
      });
      status = res.statusCode;
      if (status === 401 || status === 403) {
        discard(res.body);
        throw new RpcError("auth", `${method}: ${this.name} refused the credentials (HTTP ${status})`);
      }
      body = await readCapped(res, this.o.maxReplyBytes ?? MAX_REPLY_BYTES, method);
    } catch (e) {
      throw this.transportError(method, e, timeoutMs);
    }
    if (!body.trimStart().startsWith("{")) {
      throw new RpcError("protocol", `${method}: HTTP ${status} from ${this.name} without a JSON-RPC body`);
    }
    return parseReply(body, method);
  }

  private authorize(): string {
    if (!this.authorization) {
      const c = resolveCredentials(this.o.credentials);
      this.authorization = `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}`;
    }
    return this.authorization;
  }

  /** fetch's errors, by cause: codes and our own words only, never the request (it holds the password). */
  private transportError(method: string, e: unknown, timeoutMs: number): RpcError {
    if (e instanceof RpcError) return e;
    const name = (e as Error)?.name;
    if (name === "TimeoutError" || ((e as NodeJS.ErrnoException)?.code === "UND_ERR_ABORTED" && !this.closing.signal.aborted))
      return new RpcError("timeout", `${method}: no answer from ${this.name} in ${timeoutMs} ms`);
    if (this.closing.signal.aborted || name === "AbortError") return new RpcError("transport", `${method}: stopped`);
    const cause = (e as { cause?: NodeJS.ErrnoException })?.cause;
    const code = cause?.code ?? (e as NodeJS.ErrnoException)?.code ?? "";
    if (code === "ECONNREFUSED") return new RpcError("transport", `${method}: connection refused by ${this.name} (node not running, or RPC not enabled)`);
    return new RpcError("transport", `${method}: ${this.name}: ${code || "request failed"}`);
  }
}

/** The URL fetch is given: http(s) only, user info removed (fetch refuses it, and it is secret). */
function endpointOf(url: string): URL | undefined {
  try {
    const u = new URL(url);
    if (u.protocol !== "http:" && u.protocol !== "https:") return undefined;
    u.username = "";
    u.password = "";
    return u;
  } catch {
    return undefined;
  }
}

/** Drops a body not wanted: undici's stream reports its own destruction as an error, expected here. */
function discard(body: Dispatcher.ResponseData["body"]): void {
  body.on("error", () => {});
  body.destroy();
}

/** The body as text, read chunk by chunk; stops and drops the stream once it passes `cap` bytes. */
async function readCapped(res: Dispatcher.ResponseData, cap: number, method: string): Promise<string> {
  const tooBig = (what: string) => new RpcError("protocol", `${method}: reply ${what} exceeds the limit of ${cap} bytes`);
  const declared = Number(res.headers["content-length"] ?? NaN);
  if (declared > cap) {
    discard(res.body);
    throw tooBig(`of ${declared} bytes`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    total += chunk.byteLength;
    if (total > cap) {
      discard(res.body);
      throw tooBig("body");
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total).toString("utf8");
}
