// Block stalling: a peer that announced a block (headers, inv or cmpctblock), was asked for it
// (our getdata) and does not deliver, holding up the node's block download. Bitcoin Core
// disconnects such a peer only after BLOCK_STALLING_TIMEOUT (2 s, up to 64 s) when it stalls the
// download window, or after BLOCK_DOWNLOAD_TIMEOUT_BASE (one block interval, 10 minutes on
// mainnet) for a single block; peerwatch says so sooner. Three views, one alert name:
// - messages (IPC tracing, eBPF, log with -debug=net): a block asked of a peer not delivered
//   within `blockStallSeconds` (blocks reach well-connected nodes in seconds);
// - RPC: getpeerinfo's `inflight` holds the same block for a peer across snapshots
//   `blockStallSeconds` apart, or getblockchaininfo's headers stay ahead of blocks for
//   `tipBehindSeconds`;
// - the log: the node itself drops a peer for stalling ("Peer is stalling block download",
//   "Timeout downloading block"). Its message lines give no payload, so a getdata is taken for a
//   block request when it follows that peer's `headers` within `DIRECT_FETCH_US`: Core asks for
//   the blocks of new headers while it handles them (HeadersDirectFetchBlocks), while a getdata for
//   transactions follows an inv. As it might still be one for a transaction, a `tx` from the peer
//   also settles it.
import type { PeerwatchEvent } from "../../events/index.js";
import type { AlertData, Due, Heuristic } from "./heuristics.js";
import { blockEntries } from "./inv-counts.js";
import type { PeerBook } from "./peer-book.js";
import type { Thresholds } from "./thresholds.js";

const S = 1_000_000;
const NONE: readonly AlertData[] = Object.freeze([]);
const MAX_PEERS = 10_000;
/** A getdata this soon after the peer's headers is the direct fetch of their blocks (the lab's: within 2 ms). */
const DIRECT_FETCH_US = 1_000_000;

export class BlockStall implements Heuristic {
  readonly name = "block-stalling";
  readonly prefixes = ["net.message", "net.connection", "peers.snapshot", "peer.disconnecting", "rpc.snapshot", "ping.rtt", "threads.snapshot"];
  /** Peers owing blocks: oldest request first; (asked at, blocks owed). */
  private readonly owed = new Map<number, { since: number; blocks: number; inferred?: true }>();
  /** Peers whose headers came last, for the log's size-only getdata: id → when (oldest first). */
  private readonly headersAt = new Map<number, number>();
  /** Peers with blocks in flight per getpeerinfo: since when. */
  private readonly inflightSince = new Map<number, number>();
  private behindSince = 0;
  private behindBy = 0;

  constructor(
    private readonly t: Thresholds,
    private readonly book: PeerBook,
  ) {}

  onEvent(e: PeerwatchEvent, due: Due): readonly AlertData[] {
    const limit = this.t.blockStallSeconds * S;
    let out: AlertData[] | undefined;
    switch (e.type) {
      case "net.message": {
        const d = e.data;
        if (d.direction === "out" && d.msgType === "getdata" && d.decoded !== undefined) {
          const n = blockEntries(d);
          if (n > 0) {
            const o = this.owed.get(d.peerId);
            if (o) o.blocks += n;
            else {
              if (this.owed.size >= MAX_PEERS) this.owed.delete(this.owed.keys().next().value as number);
              this.owed.set(d.peerId, { since: e.ts, blocks: n });
            }
          }
        } else if (d.direction === "in" && d.msgType === "headers" && d.decoded === undefined) {
          this.headersAt.delete(d.peerId);
          if (this.headersAt.size >= MAX_PEERS) this.headersAt.delete(this.headersAt.keys().next().value as number);
          this.headersAt.set(d.peerId, e.ts);
        } else if (d.direction === "out" && d.msgType === "getdata") {
          // No payload (the log): the direct fetch of blocks just announced by headers, counted from the size (36 bytes an entry).
          const at = this.headersAt.get(d.peerId);
          if (at !== undefined && e.ts - at <= DIRECT_FETCH_US && !this.owed.has(d.peerId)) {
            this.headersAt.delete(d.peerId);
            if (this.owed.size >= MAX_PEERS) this.owed.delete(this.owed.keys().next().value as number);
            this.owed.set(d.peerId, { since: e.ts, blocks: Math.max(1, Math.floor((d.size - 1) / 36)), inferred: true });
          }
        } else if (d.direction === "in" && d.msgType === "tx") {
          if (this.owed.get(d.peerId)?.inferred) this.owed.delete(d.peerId);
        } else if (d.direction === "out" && d.msgType === "getblocktxn") {
          // A compact block's missing transactions: the block is still owed.
          if (!this.owed.has(d.peerId)) this.owed.set(d.peerId, { since: e.ts, blocks: 1 });
        } else if (d.direction === "in" && (d.msgType === "block" || d.msgType === "cmpctblock" || d.msgType === "blocktxn" || d.msgType === "notfound")) {
          const o = this.owed.get(d.peerId);
          if (o !== undefined) {
            this.owed.delete(d.peerId);
            // Progress: the rest is timed from now (re-inserted last, keeping the oldest first).
            if (--o.blocks > 0) this.owed.set(d.peerId, { since: e.ts, blocks: o.blocks });
          }
        }
        break;
      }
      case "peer.disconnecting":
        if ((e.data.cause === "stalling" || e.data.cause === "block_download_timeout") && due(this.name, e.data.peerId)) {
          (out ??= []).push({
            name: this.name,
            severity: "warning",
            peerId: e.data.peerId,
            detail: `the node dropped ${this.book.describe(e.data.peerId, e.data.addr ?? "")}: ${e.data.detail}`,
          });
        }
        this.owed.delete(e.data.peerId);
        this.headersAt.delete(e.data.peerId);
        break;
      case "net.connection":
        if (e.data.kind !== "misbehaving") {
          this.owed.delete(e.data.peerId); // gone, or a reused id
          this.headersAt.delete(e.data.peerId);
        }
        break;
      case "peers.snapshot": {
        if (this.owed.size > 0) {
          const listed = new Set(e.data.peers.map((p) => p.id));
          for (const id of this.owed.keys()) if (!listed.has(id)) this.owed.delete(id); // gone without a close seen
        }
        const seen = new Set<number>();
        for (const p of e.data.peers) {
          if (!p.inflightBlocks) continue;
          seen.add(p.id);
          const since = this.inflightSince.get(p.id);
          if (since === undefined) this.inflightSince.set(p.id, e.ts);
          else if (e.ts - since >= limit && due(this.name, p.id)) {
            (out ??= []).push({
              name: this.name,
              severity: "warning",
              peerId: p.id,
              detail:
                `${this.book.describe(p.id, p.addr)} has had ${p.inflightBlocks} block(s) in flight for ${((e.ts - since) / S).toFixed(0)} s without ` +
                `delivering (getpeerinfo inflight; threshold ${this.t.blockStallSeconds} s)`,
            });
          }
        }
        for (const id of this.inflightSince.keys()) if (!seen.has(id)) this.inflightSince.delete(id);
        break;
      }
      case "rpc.snapshot": {
        if (e.data.method !== "getblockchaininfo") break;
        const r = e.data.result;
        if (r.headers > r.blocks) {
          if (this.behindSince === 0) this.behindSince = e.ts;
          this.behindBy = r.headers - r.blocks;
          if (e.ts - this.behindSince >= this.t.tipBehindSeconds * S && !r.initialblockdownload && due("tip-behind-headers")) {
            const holders = [...this.owed.keys()].slice(0, 3).map((id) => this.book.describe(id));
            (out ??= []).push({
              name: "tip-behind-headers",
              severity: "warning",
              detail:
                `the node has known headers ${this.behindBy} block(s) ahead of its tip (${r.blocks}) for ` +
                `${((e.ts - this.behindSince) / S).toFixed(0)} s (threshold ${this.t.tipBehindSeconds} ` +
                `s)${holders.length ? `; blocks owed by ${holders.join(", ")}` : ""}`,
            });
          }
        } else this.behindSince = 0;
        break;
      }
    }
    // The oldest request decides: one look per event.
    for (const [id, o] of this.owed) {
      if (e.ts - o.since < limit) break;
      this.owed.delete(id);
      if (this.book.get(id)?.closed) continue; // gone: its getdata was traced after the close
      if (!due(this.name, id)) continue;
      (out ??= []).push({
        name: this.name,
        severity: "warning",
        peerId: id,
        detail:
          `${this.book.describe(id)} was asked for ${o.blocks} block(s) ${((e.ts - o.since) / S).toFixed(0)} s ago` +
          `${o.inferred ? " (our getdata right after its headers, by the log's sizes)" : ""} and has not delivered (threshold ` +
          `${this.t.blockStallSeconds} s; Core waits BLOCK_STALLING_TIMEOUT 2–64 s in the download window, else up to 10 min)`,
      });
    }
    return out ?? NONE;
  }
}
