// A stub of bitcoind's JSON-RPC HTTP server: checks Basic auth like bitcoind (401, empty body),
// answers from canned JSON files, and can be told to warm up, hang, answer garbage, or anything.
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { CAPTURE_DIR } from "./capture.js";

export class StubBitcoind {
  warmup = false;
  hang = new Set<string>();
  invalid = new Set<string>();
  /** Methods answered by a hand-written responder instead (huge, deep or trickled bodies). */
  custom = new Map<string, (res: http.ServerResponse, id: unknown) => void>();
  calls: string[] = [];
  /** Requests being answered right now, and the most there ever were at once. */
  inFlight = 0;
  maxInFlight = 0;
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-stub-"));
  readonly cookie = path.join(this.dir, ".cookie");
  private password = "";
  private server: http.Server | undefined;
  private readonly hung: http.ServerResponse[] = [];
  url = "";

  constructor(private readonly rpcDir = path.join(CAPTURE_DIR, "rpc")) {
    this.rotateCookie();
  }

  /** What bitcoind does at every start: a new random cookie. */
  rotateCookie(): void {
    this.password = Math.random().toString(16).slice(2) + Math.random().toString(16).slice(2);
    fs.writeFileSync(this.cookie, `__cookie__:${this.password}`);
  }

  get secret(): string {
    return this.password;
  }

  /** Listens on `port` (0: any free one); a stub stopped and started again on its old port is a restarted node. */
  async start(port = 0): Promise<void> {
    this.server = http.createServer((req, res) => {
      const auth = req.headers.authorization ?? "";
      const expected = `Basic ${Buffer.from(`__cookie__:${this.password}`).toString("base64")}`;
      if (auth !== expected) {
        res.writeHead(401, { "www-authenticate": 'Basic realm="jsonrpc"' }).end();
        return;
      }
      let body = "";
      this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
      res.once("close", () => this.inFlight--);
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => this.answer(body, res));
    });
    await new Promise<void>((r) => this.server!.listen(port, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private answer(body: string, res: http.ServerResponse): void {
    const req = JSON.parse(body) as { method: string; id: unknown };
    this.calls.push(req.method);
    const send = (status: number, obj: unknown): void => {
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(obj) + "\n");
    };
    if (this.warmup) return send(500, { result: null, error: { code: -28, message: "Loading block index…" }, id: req.id });
    if (this.hang.has(req.method)) {
      this.hung.push(res);
      return;
    }
    const custom = this.custom.get(req.method);
    if (custom) return custom(res, req.id);
    if (this.invalid.has(req.method)) return send(200, { result: { surprise: 1 }, error: null, id: req.id });
    const file = path.join(this.rpcDir, `${req.method}.json`);
    if (!fs.existsSync(file)) return send(404, { result: null, error: { code: -32601, message: "Method not found" }, id: req.id });
    res.writeHead(200, { "content-type": "application/json" });
    res.end(`{"result":${fs.readFileSync(file, "utf8")},"error":null,"id":${JSON.stringify(req.id)}}\n`);
  }

  async stop(): Promise<void> {
    for (const r of this.hung.splice(0)) r.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/** `peerwatch observe` on RPC alone against a stub, by its URL and cookie; the test's own flags after. */
export function observeRpc(stub: StubBitcoind, ...extra: string[]): string[] {
  return ["observe", "--sources", "rpc", "--rpc-url", stub.url, "--rpc-cookie", stub.cookie, ...extra];
}
