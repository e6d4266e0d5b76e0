// Server-Sent Events fan-out with a bounded send buffer per client: a browser that does not read
// (a stalled tab, a slow link) is cut off once its unsent bytes pass the limit, and counted, so it
// can never grow peerwatch's memory.
import type { ServerResponse } from "node:http";

export const DEFAULT_CLIENT_BUFFER_BYTES = 1024 * 1024;
export const MAX_CLIENTS = 64;

export interface SseCounters {
  onConnect(): void;
  onDisconnect(): void;
  onCutOff(): void;
}

export class SseClients {
  private readonly clients = new Set<ServerResponse>();

  constructor(
    private readonly maxBufferBytes: number,
    private readonly counters: SseCounters,
  ) {}

  get size(): number {
    return this.clients.size;
  }

  /** Takes a response for /events; refuses (503) past MAX_CLIENTS. */
  add(res: ServerResponse, first: string): void {
    if (this.clients.size >= MAX_CLIENTS) {
      res.writeHead(503, { "content-type": "text/plain" }).end(`too many live page clients (${MAX_CLIENTS})\n`);
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
    this.clients.add(res);
    this.counters.onConnect();
    res.on("close", () => {
      if (this.clients.delete(res)) this.counters.onDisconnect();
    });
    this.send(res, first);
  }

  /** Sends one `data:` message to every client. */
  broadcast(data: string): void {
    for (const res of this.clients) this.send(res, data);
  }

  private send(res: ServerResponse, data: string): void {
    const frame = `data: ${data}\n\n`;
    if (res.writableLength + frame.length > this.maxBufferBytes) {
      // Not reading: drop it rather than queue without end.
      this.clients.delete(res);
      this.counters.onDisconnect();
      this.counters.onCutOff();
      res.destroy();
      return;
    }
    res.write(frame);
  }

  closeAll(): void {
    for (const res of this.clients) res.destroy();
    this.clients.clear();
  }
}
