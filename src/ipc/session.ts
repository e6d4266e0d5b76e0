// One IPC connection to bitcoin-node: socket, capnp-es Conn, Init bootstrap, construct with a
// client-hosted ThreadMap (so the node can call back into us), and bookkeeping that capnp-es
// lacks: every call is tracked and rejected with an IpcError when the connection ends, and gets a
// timeout. Nothing here installs a process-wide handler.
import net from "node:net";
import { Conn } from "capnp-es";
import { Init, type Init$Client } from "./generated/init.js";
import { type Context, type Thread$Client, Thread$Server, type ThreadMap$Client, ThreadMap$Server } from "./generated/mp/proxy.js";
import { SocketTransport, type CloseReason } from "./socket-transport.js";

export type IpcErrorKind = "connect" | "closed" | "timeout" | "remote" | "protocol";

/** A failed IPC operation: what was attempted, and why it failed. */
export class IpcError extends Error {
  override name = "IpcError";
  constructor(
    readonly kind: IpcErrorKind,
    readonly what: string,
    detail: string,
  ) {
    super(`${what}: ${detail}`);
  }
}

export interface SessionOptions {
  maxMessageBytes: number;
  connectTimeoutMs?: number;
  /** Default timeout of a call (ms); long-blocking calls pass their own. */
  callTimeoutMs?: number;
  /** Told about every call's latency and outcome (the metrics tool's IPC histogram). */
  onCall?: (what: string, seconds: number, ok: boolean) => void;
}

/** Something with a Context as its `context` field (every Bitcoin Core method's params). */
interface HasContext {
  _initContext(): Context;
}

export class IpcSession {
  readonly init: Init$Client;
  /** Settles (never rejects) when the connection ends, with the reason. */
  readonly ended: Promise<CloseReason>;
  private endReason: CloseReason | undefined;
  private readonly pending = new Set<(e: IpcError) => void>();
  private readonly conn: Conn;
  /** Names of the threads the node asked us to make (callbacks), for diagnostics. */
  readonly clientThreads: string[] = [];

  private constructor(
    readonly transport: SocketTransport,
    private readonly options: SessionOptions,
  ) {
    let resolveEnded!: (r: CloseReason) => void;
    this.ended = new Promise((r) => (resolveEnded = r));
    transport.onClose = (reason) => {
      this.endReason = reason;
      const err = new IpcError("closed", "IPC connection", describeClose(reason));
      for (const reject of [...this.pending]) reject(err);
      this.pending.clear();
      resolveEnded(reason);
    };
    this.conn = new Conn(transport);
    // Set before the Conn's first await completes: a protocol error ends this connection, it must
    // not become an unhandled rejection of the process.
    this.conn.onError = (err) => {
      if (!transport.closed) this.fail(`protocol error: ${(err as Error)?.message ?? String(err)}`);
    };
    this.init = this.conn.bootstrap(Init);
  }

  static async connect(socketPath: string, options: SessionOptions): Promise<IpcSession> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.createConnection({ path: socketPath });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new IpcError("connect", `connect to ${socketPath}`, "timed out"));
      }, options.connectTimeoutMs ?? 5000);
      s.once("connect", () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once("error", (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new IpcError("connect", `connect to ${socketPath}`, connectErrorText(e)));
      });
    });
    return new IpcSession(new SocketTransport(socket, options.maxMessageBytes), options);
  }

  get isClosed(): boolean {
    return this.endReason !== undefined;
  }

  /**
   * Awaits a capnp promise with a timeout; rejects with IpcError when the connection ends first
   * (capnp-es would leave it pending forever) or the node answers with an exception.
   */
  track<T>(what: string, p: Promise<T>, timeoutMs = this.options.callTimeoutMs ?? 30_000): Promise<T> {
    if (this.endReason) {
      p.catch(() => {}); // its outcome no longer matters
      return Promise.reject(new IpcError("closed", what, describeClose(this.endReason)));
    }
    const started = process.hrtime.bigint();
    const report = (ok: boolean) => this.options.onCall?.(what, Number(process.hrtime.bigint() - started) / 1e9, ok);
    return new Promise<T>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.pending.delete(onEnd);
      };
      const onEnd = (e: IpcError) => {
        done();
        reject(new IpcError("closed", what, e.message));
      };
      const timer = setTimeout(() => {
        done();
        reject(new IpcError("timeout", what, `no answer in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.add(onEnd);
      p.then(
        (v) => {
          done();
          report(true);
          resolve(v);
        },
        (e: unknown) => {
          done();
          report(false);
          reject(new IpcError("remote", what, remoteErrorText(e)));
        },
      );
    });
  }

  /**
   * Init.construct with a ThreadMap hosted here: libmultiprocess calls its makeThread before it
   * calls any client-hosted callback. Returns the node's ThreadMap.
   */
  async construct(): Promise<ThreadMap$Client> {
    const hosted = new ThreadMap$Server({
      makeThread: async (params, results) => {
        const name = safeText(() => params.name);
        this.clientThreads.push(name);
        results.result = new Thread$Server({
          getName: async (_p, r) => {
            r.result = name;
          },
        }).client();
      },
      makePool: async () => {},
    });
    const answer = this.init.construct((p) => {
      p.threadMap = hosted.client();
    });
    await this.track("Init.construct", answer.promise());
    return answer.getThreadMap();
  }

  /** A server thread of the node, for calls that must not wait behind others. */
  async makeThread(threadMap: ThreadMap$Client, name: string): Promise<Thread$Client> {
    const answer = threadMap.makeThread((p) => {
      p.name = name;
    });
    await this.track(`ThreadMap.makeThread(${name})`, answer.promise());
    return answer.getResult();
  }

  /** Fills params.context.thread. */
  static withThread<P extends HasContext>(thread: Thread$Client): (p: P) => void {
    return (p) => {
      p._initContext().thread = thread;
    };
  }

  close(): void {
    this.transport.close();
  }

  private fail(detail: string): void {
    this.transport.abort({ kind: "malformed", detail });
  }
}

export function describeClose(r: CloseReason): string {
  switch (r.kind) {
    case "closed":
      return r.detail;
    case "error":
      return `socket error ${r.detail}`;
    case "malformed":
      return `malformed data from the node, connection dropped: ${r.detail}`;
  }
}

function connectErrorText(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case "ENOENT":
      return "no socket there (is bitcoin-node running with -ipcbind=unix?)";
    case "ECONNREFUSED":
      return "connection refused (the node is not listening: stopped or restarting)";
    case "EACCES":
      return "permission denied (the socket is private to the node's user)";
    default:
      return e.code ?? e.message;
  }
}

function remoteErrorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/^CAPNP-ES\d*\s*/, "").slice(0, 500);
}

function safeText(f: () => string): string {
  try {
    return f().slice(0, 128);
  } catch {
    return "?";
  }
}
