// What peerwatch knows about each peer, from every source that says something about it: the
// connection events (address, network, direction), the node's getpeerinfo (user agent, services,
// relay flag, AS) and the peer's own `version` message. Detectors ask it to describe a peer in an
// alert, so that a person on call sees who it is without looking it up. It runs first among the
// heuristics (registered ahead of the detectors) and raises nothing itself. Bounded: the least
// recently seen peers are forgotten first.
import type { PeerwatchEvent } from "../../events/index.js";
import type { AlertData, Heuristic } from "./heuristics.js";
import { netgroup } from "./netgroup.js";

export interface KnownPeer {
  addr: string;
  network: string;
  connType: string;
  inbound: boolean | undefined;
  userAgent: string;
  /** Service bits as hex (u64), from the version message or getpeerinfo. */
  services: string;
  /** The protocol version the peer declared. */
  version: number;
  /** fRelay of its version message (or getpeerinfo's relaytxes). */
  relay: boolean | undefined;
  mappedAs: number | null;
  /** When peerwatch first saw it (µs), and whether it is known to be gone. */
  firstSeen: number;
  closed: boolean;
}

const NONE: readonly AlertData[] = Object.freeze([]);

export class PeerBook implements Heuristic {
  readonly name = "peer-book";
  readonly prefixes = ["net.connection", "net.message", "peers.snapshot"];
  private readonly peers = new Map<number, KnownPeer>();

  constructor(private readonly maxPeers = 10_000) {}

  onEvent(e: PeerwatchEvent): readonly AlertData[] {
    if (e.type === "net.message") {
      const d = e.data;
      // Most messages only name the peer: learn the address once, and the version message's facts.
      const known = this.peers.get(d.peerId);
      if (known === undefined || (known.addr === "" && d.addr !== "") || (d.msgType === "version" && d.direction === "in")) {
        const p = this.entry(d.peerId, e.ts);
        if (p.addr === "" && d.addr !== "") p.addr = d.addr;
        if (p.connType === "" && d.connType !== "unknown") p.connType = d.connType;
        const v = d.direction === "in" && d.msgType === "version" ? d.decoded?.version : undefined;
        if (v !== undefined) {
          p.version = v.version;
          if (v.userAgent !== undefined) p.userAgent = v.userAgent;
          if (v.services !== undefined) p.services = v.services;
          if (v.relay !== undefined) p.relay = v.relay;
        }
      }
    } else if (e.type === "net.connection") {
      const d = e.data;
      // A new connection under an id the book saw closed: a restarted node numbers from 0 again.
      if ((d.kind === "inbound" || d.kind === "outbound") && this.peers.get(d.peerId)?.closed) this.peers.delete(d.peerId);
      const p = this.entry(d.peerId, e.ts);
      if (d.addr) p.addr = d.addr;
      if (d.network) p.network = d.network;
      if (d.connType && d.connType !== "unknown") {
        p.connType = d.connType;
        p.inbound = d.connType === "inbound";
      }
      if (d.kind === "closed" || d.kind === "evicted") p.closed = true;
    } else if (e.type === "peers.snapshot") {
      for (const s of e.data.peers) {
        const p = this.entry(s.id, e.ts);
        p.addr = s.addr;
        if (s.network) p.network = s.network;
        if (s.connectionType) p.connType = s.connectionType;
        p.inbound = s.inbound;
        p.userAgent = s.subversion;
        p.version = s.version;
        if (s.relayTxes !== null) p.relay = s.relayTxes;
        p.mappedAs = s.mappedAs;
      }
    }
    return NONE;
  }

  get(id: number): KnownPeer | undefined {
    return this.peers.get(id);
  }

  /** "peer 7 (203.0.113.5:8333, ipv4, inbound, /Satoshi:0.12.0/)": what a person on call needs to find it. */
  describe(id: number, fallbackAddr = ""): string {
    const p = this.peers.get(id);
    const addr = p?.addr || fallbackAddr || "address unknown";
    const parts = [addr];
    if (p?.network) parts.push(p.network);
    if (p?.connType) parts.push(p.connType);
    if (p?.userAgent) parts.push(JSON.stringify(p.userAgent.slice(0, 64)));
    return `peer ${id} (${parts.join(", ")})`;
  }

  /** The peer's network group (netgroup.ts), "" when its address is unknown. */
  group(id: number, fallbackAddr = ""): string {
    const p = this.peers.get(id);
    return netgroup(p?.addr || fallbackAddr, p?.mappedAs);
  }

  get size(): number {
    return this.peers.size;
  }

  private entry(id: number, ts: number): KnownPeer {
    let p = this.peers.get(id);
    if (p === undefined) {
      p = {
        addr: "",
        network: "",
        connType: "",
        inbound: undefined,
        userAgent: "",
        services: "",
        version: 0,
        relay: undefined,
        mappedAs: null,
        firstSeen: ts,
        closed: false,
      };
      if (this.peers.size >= this.maxPeers) this.peers.delete(this.peers.keys().next().value as number);
    } else {
      this.peers.delete(id); // re-inserted: the most recently seen goes last
    }
    this.peers.set(id, p);
    return p;
  }
}
