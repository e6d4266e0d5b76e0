// A spy peer: it takes every transaction it can learn of and gives nothing back, and often lies
// about who it is. Two kinds of evidence, per peer over its connection's lifetime:
// - behaviour: it asked (getdata) for at least `spyMinAsked` transactions, and in all that time
//   announced none (inv) and relayed none (tx), although its version message asked us to relay
//   transactions to it (fRelay). An honest node with other peers hears of some transactions
//   before we do and announces them to us; a collector never does.
// - identity: its user agent, service bits and protocol version contradict each other or what it
//   does, e.g. "/Satoshi:0.12.0/" with NODE_WITNESS (an 0.12 node cannot know segwit), a Core
//   ≥ 0.13.1 user agent without NODE_WITNESS (Core has set it since), or a message its declared
//   protocol version predates (wtxidrelay needs 70016, sendcmpct 70014, feefilter 70013,
//   sendheaders 70012: BIP 339, 152, 133, 130).
// Behaviour alone is `info` (a leaf node with us as its only peer behaves alike); identity lies,
// or both together, are a `warning`.
import type { PeerInfo, PeerwatchEvent } from "../../events/index.js";
import type { AlertData, Due, Heuristic } from "./heuristics.js";
import { txEntries } from "./inv-counts.js";
import type { PeerBook } from "./peer-book.js";
import type { Thresholds } from "./thresholds.js";

const NONE: readonly AlertData[] = Object.freeze([]);
const MAX_PEERS = 10_000;
const NODE_WITNESS = 1n << 3n;
const NODE_COMPACT_FILTERS = 1n << 6n;
const NODE_NETWORK_LIMITED = 1n << 10n;
const NODE_P2P_V2 = 1n << 11n;

/** The protocol version each message needs (protocol.h / the BIPs). */
const MESSAGE_MIN_VERSION: Readonly<Record<string, number>> = {
  sendheaders: 70012,
  feefilter: 70013,
  sendcmpct: 70014,
  wtxidrelay: 70016,
  sendaddrv2: 70016,
  sendtxrcncl: 70016,
};

interface Ledger {
  asked: number;
  announced: number;
  relayed: number;
  lie: string | undefined;
  /** The version message's service bits and protocol, when its capture ended before the user agent. */
  services?: string;
  protocol?: number;
}

/** "/Satoshi:0.12.1/" → [0, 12, 1]; undefined for other clients. */
export function satoshiVersion(ua: string): [number, number, number] | undefined {
  const m = /^\/Satoshi:(\d{1,3})\.(\d{1,3})(?:\.(\d{1,3}))?/.exec(ua);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

const atLeast = (v: [number, number, number], a: number, b: number, c = 0) => (v[0] !== a ? v[0] > a : v[1] !== b ? v[1] > b : v[2] >= c);

/** What a version message's own fields contradict, or undefined. */
export function identityLie(userAgent: string, servicesHex: string, protocol: number): string | undefined {
  const v = satoshiVersion(userAgent);
  if (v === undefined) return undefined;
  let services: bigint;
  try {
    services = BigInt(`0x${servicesHex || "0"}`);
  } catch {
    return undefined;
  }
  const ua = JSON.stringify(userAgent.slice(0, 40));
  if (!atLeast(v, 0, 13, 0) && (services & NODE_WITNESS) !== 0n) return `user agent ${ua} predates segwit but its services include NODE_WITNESS`;
  if (!atLeast(v, 0, 16) && (services & NODE_NETWORK_LIMITED) !== 0n) return `user agent ${ua} predates BIP159 but its services include NODE_NETWORK_LIMITED`;
  if (!atLeast(v, 0, 21) && (services & NODE_COMPACT_FILTERS) !== 0n)
    return `user agent ${ua} predates BIP157 serving but its services include NODE_COMPACT_FILTERS`;
  if (!atLeast(v, 26, 0) && (services & NODE_P2P_V2) !== 0n) return `user agent ${ua} predates BIP324 but its services include NODE_P2P_V2`;
  if (atLeast(v, 0, 13, 1) && protocol >= 70014 && (services & NODE_WITNESS) === 0n)
    return `user agent ${ua} (Core sets NODE_WITNESS since 0.13.1) announces services ${servicesHex} without it`;
  if (!atLeast(v, 0, 21) && protocol >= 70016) return `user agent ${ua} predates protocol version 70016 (Core 0.21) but declares ${protocol}`;
  return undefined;
}

export class SpyPeer implements Heuristic {
  readonly name = "spy-peer";
  readonly prefixes = ["net.message", "peers.snapshot"];
  private readonly ledgers = new Map<number, Ledger>();
  /** Peers whose getpeerinfo identity was checked (id → user agent checked), for the RPC view. */
  private readonly checked = new Map<number, string>();

  constructor(
    private readonly t: Thresholds,
    private readonly book: PeerBook,
  ) {}

  onEvent(e: PeerwatchEvent, due: Due): readonly AlertData[] {
    if (e.type === "peers.snapshot") return this.snapshot(e.data.peers, due);
    if (e.type !== "net.message" || e.data.direction !== "in") return NONE;
    const d = e.data;
    let l: Ledger | undefined;
    switch (d.msgType) {
      case "version": {
        const v = d.decoded?.version;
        // A new connection under this id: its ledger starts again. Not for a copy without the payload:
        // every source reports the same version message, and the log's line (no payload) comes after
        // eBPF's and IPC's, so resetting then forgot the service bits they had told.
        l = v === undefined ? this.ledger(d.peerId) : this.fresh(d.peerId);
        // A capture cut before the user agent: what getpeerinfo said of it, when known ("" is not
        // known: a connection event names the peer before anyone has heard its user agent).
        const ua = v?.userAgent || this.book.get(d.peerId)?.userAgent || undefined;
        if (ua !== undefined && v?.services !== undefined) l.lie = identityLie(ua, v.services, v.version);
        else if (v?.services !== undefined) {
          l.services = v.services; // checked when getpeerinfo tells the user agent
          l.protocol = v.version;
        }
        break;
      }
      case "getdata":
        l = this.ledger(d.peerId);
        l.asked += txEntries(d);
        break;
      case "inv":
        this.ledger(d.peerId).announced += txEntries(d);
        return NONE;
      case "tx":
        this.ledger(d.peerId).relayed++;
        return NONE;
      default: {
        const min = MESSAGE_MIN_VERSION[d.msgType];
        if (min === undefined) return NONE;
        const p = this.book.get(d.peerId);
        if (p === undefined || p.version === 0 || p.version >= min) return NONE;
        l = this.ledger(d.peerId);
        l.lie ??= `sent ${d.msgType}, which needs protocol version ${min}, after declaring ${p.version}`;
      }
    }
    const relay = this.book.get(d.peerId)?.relay !== false;
    const taker = l.asked >= this.t.spyMinAsked && l.announced === 0 && l.relayed === 0 && relay;
    if (!taker && l.lie === undefined) return NONE;
    const severity = l.lie !== undefined ? "warning" : "info";
    if (!due(this.name, d.peerId)) return NONE;
    const behaviour =
      `asked for ${l.asked} transactions, announced ${l.announced} and relayed ` + `${l.relayed}${relay ? " while asking us to relay (fRelay)" : ""}`;
    const why = [taker ? `takes without giving (threshold: ${this.t.spyMinAsked} asked, none given)` : "", l.lie ?? ""].filter(Boolean).join("; ");
    return [{ name: this.name, severity, peerId: d.peerId, detail: `${this.book.describe(d.peerId, d.addr)} ${behaviour}: ${why}` }];
  }

  /** getpeerinfo's view (RPC, IPC): user agent, services and version of each peer not yet checked. */
  private snapshot(peers: readonly PeerInfo[], due: Due): readonly AlertData[] {
    let out: AlertData[] | undefined;
    for (const p of peers) {
      const services = p.services ?? this.ledgers.get(p.id)?.services;
      if (services === undefined || this.checked.get(p.id) === p.subversion) continue;
      if (this.checked.size >= MAX_PEERS) this.checked.delete(this.checked.keys().next().value as number);
      this.checked.set(p.id, p.subversion);
      const lie = identityLie(p.subversion, services, p.version);
      if (lie === undefined || !due(this.name, p.id)) continue;
      (out ??= []).push({
        name: this.name,
        severity: "warning",
        peerId: p.id,
        detail: `${this.book.describe(p.id, p.addr)} lies about itself (getpeerinfo): ${lie}`,
      });
    }
    return out ?? NONE;
  }

  private fresh(id: number): Ledger {
    this.ledgers.delete(id);
    return this.ledger(id);
  }

  private ledger(id: number): Ledger {
    let l = this.ledgers.get(id);
    if (l === undefined) {
      l = { asked: 0, announced: 0, relayed: 0, lie: undefined };
      if (this.ledgers.size >= MAX_PEERS) this.ledgers.delete(this.ledgers.keys().next().value as number);
      this.ledgers.set(id, l);
    }
    return l;
  }
}
