// Which debug.log messages become which events. Each pattern is written from the format string in
// Bitcoin Core's source (file named beside it) and checked against the real log in
// test/fixtures/regtest-capture/debug.log; docs/log.md lists them with examples. Messages no
// pattern knows are only counted (by category), never turned into guesses.
import type { EventDataMap, EventType } from "../events/index.js";
import { parseVersionLine } from "../events/node-identity.js";
import { parseLinePrefix, ThreadNameMode, type LogLine } from "./line-prefix.js";
import { PeerTable } from "./peer-table.js";

/** One fact of a line: an event type with that type's data (a union over the types, so the two stay tied). */
export type LogFact<T extends EventType = EventType> = { [K in T]: { type: K; data: EventDataMap[K] } }[T];

export interface ParsedLine {
  line: LogLine;
  /** The line kind when a pattern matched (docs/log.md names them), else undefined. */
  kind: string | undefined;
  facts: LogFact[];
}

const HASH = "([0-9a-f]{64})";
/** ", peeraddr=…" appears when the node runs with -logips. */
const PEER = "peer=(\\d{1,15})(?:, peeraddr=(\\S{1,256}))?";

// (TypeScript cannot see that { type: T, data: EventDataMap[T] } is LogFact<T> while T is open.)
const fact = <T extends EventType>(type: T, data: EventDataMap[T]): LogFact<T> => ({ type, data }) as LogFact<T>;

/** "<what>, disconnecting peer=N": the reasons CNode::DisconnectMsg is used with (net.cpp, net_processing.cpp). */
const DISCONNECT_CAUSES: [RegExp, EventDataMap["peer.disconnecting"]["cause"]][] = [
  [/^ping timeout: /, "ping_timeout"],
  [/^Peer is stalling block download$/, "stalling"],
  [/^Timeout downloading block /, "block_download_timeout"],
  [/^socket closed$/, "socket_closed"],
  [/^socket (?:send|recv) error/, "socket_error"],
  [/^socket (?:no message in first|sending timeout|receive timeout)/, "inactivity"],
  [/^(?:V2 handshake|version handshake|headers sync) timeout/, "handshake_timeout"],
  [/^disconnect by (?:address|subnet|id)/, "manual"],
  [/^Network not active$/, "manual"],
];

const HEADER_PROBLEMS: Readonly<Record<string, EventDataMap["net.protocol_error"]["problem"]>> = {
  "Wrong MessageStart": "wrong_magic",
  "Size too large": "oversized",
  "Wrong checksum": "bad_checksum",
  "Invalid message type": "invalid_type",
  "Unable to deserialize": "bad_header",
};

type Handler = (m: RegExpExecArray, p: LogParser) => LogFact[] | undefined;

interface Pattern {
  kind: string;
  /** Text every matching message contains: a cheap test before the regex (most lines match no pattern). */
  hint: string;
  re: RegExp;
  handle: Handler;
}

function num(s: string | undefined): number {
  return Number(s);
}

/** Ordered: the first matching pattern wins. */
const PATTERNS: Pattern[] = [
  // init/common.cpp: LogInfo(CLIENT_NAME " version %s", FormatFullVersion())
  {
    kind: "version",
    hint: "version ",
    // Other clients built from Bitcoin Core keep the "Bitcoin <Name>" form; other "… version N" lines (asmap, wallet) are not startup lines.
    re: /^Bitcoin [A-Z][A-Za-z]{1,20} version v?[0-9]\S* ?(?:\([^)]*\))?$/,
    handle: (m, p) => p.identity(m[0]),
  },
  // init.cpp Shutdown(): LogInfo("Shutdown in progress...") … LogInfo("Shutdown done") (before v29:
  // LogPrintf("%s: In progress...", __func__) … "%s: done"). No event: the log source reads them as
  // the node going away (node-presence.ts), as the other sources see it by their connection.
  { kind: "shutdown-started", hint: "hutdown", re: /^Shutdown(?: in progress\.\.\.|: In progress\.\.\.)$/, handle: () => [] },
  { kind: "shutdown-done", hint: "hutdown", re: /^Shutdown(?: done|: done)$/, handle: () => [] },
  // init.cpp: "Listening for IPC requests on address %s" — only bitcoin-node (multiprocess) listens.
  { kind: "ipc-listening", hint: "Listening for IPC", re: /^Listening for IPC requests on address /, handle: (_m, p) => p.multiprocess() },
  // validation.cpp UpdateTipLog: "%s%s: new best=%s height=%d version=0x%08x log2_work=%f tx=%lu date='%s' progress=%f cache=%.1fMiB(%utxo)%s"
  {
    kind: "update-tip",
    hint: "UpdateTip: ",
    re: new RegExp(
      `^UpdateTip: new best=${HASH} height=(\\d{1,10}) version=0x[0-9a-f]{8} log2_work=[0-9.]+ tx=(\\d{1,15}) date='[^']{0,32}' ` +
        `progress=(\\d{1,3}\\.\\d{1,9}) cache=(\\d{1,9}\\.\\d)MiB\\((\\d{1,15})txo\\)`,
    ),
    handle: (m) => [
      fact("tip.changed", {
        hash: m[1] as string,
        height: num(m[2]),
        chainTxs: num(m[3]),
        progress: Math.min(1, num(m[4])),
        cacheMiB: num(m[5]),
        cacheCoins: num(m[6]),
      }),
    ],
  },
  // The same line for a background (assumeutxo) chainstate: not the node's tip.
  { kind: "update-tip-background", hint: "UpdateTip: ", re: /^\[background validation\] UpdateTip: /, handle: () => [] },
  // validationinterface.cpp: "BlockConnected: block hash=%s block height=%d" (-debug=validation)
  {
    kind: "block-connected",
    hint: "BlockConnected: ",
    re: new RegExp(`^BlockConnected: block hash=${HASH} block height=(\\d{1,10})$`),
    handle: (m) => [fact("block.seen", { hash: m[1] as string, height: num(m[2]) })],
  },
  // net.cpp: "Added connection peer=%d" / "Added connection to %s peer=%d" (CNode constructor)
  {
    kind: "connection-added",
    hint: "Added connection",
    re: /^Added connection(?: to (\S{1,256}))? peer=(\d{1,15})$/,
    handle: (m, p) => p.added(num(m[2]), m[1]),
  },
  // net.cpp AcceptConnection: "connection from %s accepted"
  { kind: "connection-accepted", hint: "connection from ", re: /^connection from (\S{1,256}) accepted$/, handle: (m, p) => p.accepted(m[1] as string) },
  // net.cpp AcceptConnection: "connection from %s dropped (banned)" / "(discouraged)" /
  // ": not accepting new connections" / ": non-selectable socket";
  // "failed to find an eviction candidate - connection dropped (full)"
  {
    kind: "connection-dropped",
    hint: "dropped",
    re: /^(?:connection from (\S{1,256}) dropped(?: \((banned|discouraged)\)|: (not accepting new connections|non-selectable socket))|failed to find an eviction candidate - connection dropped \((full)\))$/,
    handle: (m) => {
      const reason = m[2] ?? (m[4] ? "full" : m[3] === "non-selectable socket" ? "non_selectable" : "not_accepting");
      return [fact("net.inbound_refused", { ...(m[1] ? { addr: m[1] } : {}), reason: reason as EventDataMap["net.inbound_refused"]["reason"] })];
    },
  },
  // net_processing.cpp: "New %s peer connected: transport: %s, version: %d, %s%s" (LogPeer, mapped_as)
  {
    kind: "peer-connected",
    hint: "peer connected: ",
    re: new RegExp(`^New (\\S{1,32}) peer connected: transport: (v1|v2|detecting), version: (\\d{1,10}), ${PEER}(?:, mapped_as=\\d+)?$`),
    handle: (m, p) => p.connected(num(m[4]), m[1] as string, m[2] as "v1" | "v2" | "detecting", num(m[3]), m[5]),
  },
  // The same before v26 (outbound only, no transport): "New outbound peer connected: version: %d, blocks=%d, peer=%d%s (%s)"
  {
    kind: "peer-connected",
    hint: "peer connected: ",
    re: /^New outbound peer connected: version: (\d{1,10}), blocks=\d{1,10}, peer=(\d{1,15})(?:, peeraddr=(\S{1,256}))?(?: \((\S{1,32})\))?$/,
    handle: (m, p) => p.connected(num(m[2]), m[4] ?? "outbound", undefined, num(m[1]), m[3]),
  },
  // net.cpp CloseSocketDisconnect: "Resetting socket for %s" (LogPeer); before v28: "disconnecting peer=%d"
  {
    kind: "peer-disconnected",
    hint: "peer=",
    re: new RegExp(`^(?:Resetting socket for |disconnecting )${PEER}$`),
    handle: (m, p) => p.closed(num(m[1]), m[2]),
  },
  // net.cpp AttemptToEvictConnection: "selected %s connection for eviction, %s" (DisconnectMsg)
  {
    kind: "peer-evicted",
    hint: "for eviction",
    re: new RegExp(`^selected (\\S{1,32}) connection for eviction, disconnecting ${PEER}$`),
    handle: (m, p) => p.evicted(num(m[2]), m[1] as string, m[3]),
  },
  // net_processing.cpp Misbehaving: "Misbehaving: peer=%d%s" (": message" when there is one)
  {
    kind: "misbehaving",
    hint: "Misbehaving: ",
    re: /^Misbehaving: peer=(\d{1,15})(?:: (.{0,256}))?$/,
    handle: (m, p) => p.misbehaving(num(m[1]), m[2] ?? ""),
  },
  // net_processing.cpp: "Disconnecting and discouraging peer %d!"
  {
    kind: "discouraging",
    hint: "discouraging peer",
    re: /^Disconnecting and discouraging peer (\d{1,15})!$/,
    handle: (m, p) => p.disconnecting(num(m[1]), undefined, "discouraged", "Disconnecting and discouraging"),
  },
  // net_processing.cpp: "disconnecting extra outbound peer=%d (…)" / "disconnecting extra block-relay-only peer=%d (…)"
  {
    kind: "extra-outbound",
    hint: "disconnecting extra ",
    re: /^disconnecting extra (?:outbound|block-relay-only) peer=(\d{1,15}) \((.{0,200})\)$/,
    handle: (m, p) => p.disconnecting(num(m[1]), undefined, "extra_outbound", m[0].slice(0, 256)),
  },
  // Every other "<reason>, disconnecting peer=N": ping timeout (with its seconds), stalling, timeouts…
  {
    kind: "peer-disconnecting",
    hint: ", disconnecting peer=",
    re: new RegExp(`^(.{1,256}?), disconnecting ${PEER}(?:: (.{0,128}))?$`),
    handle: (m, p) => {
      const what = m[1] as string;
      const cause = DISCONNECT_CAUSES.find(([re]) => re.test(what))?.[1] ?? "other";
      const ping = cause === "ping_timeout" ? /^ping timeout: (\d{1,10}(?:\.\d{1,9})?)s$/.exec(what) : null;
      return p.disconnecting(num(m[2]), m[3], cause, (m[4] ? `${what}: ${m[4]}` : what).slice(0, 256), ping ? num(ping[1]) : undefined);
    },
  },
  // net_processing.cpp: "pong peer=%d: %s, %x expected, %x received, %u bytes"
  {
    kind: "pong-problem",
    hint: "pong peer=",
    re: /^pong peer=(\d{1,15}): ([A-Za-z ]{1,64}), ([0-9a-f]{1,16}) expected, ([0-9a-f]{1,16}) received, (\d{1,10}) bytes$/,
    handle: (m) => [
      fact("pong.problem", { peerId: num(m[1]), problem: m[2] as string, expectedNonce: m[3] as string, receivedNonce: m[4] as string, bytes: num(m[5]) }),
    ],
  },
  // net.cpp V1Transport: "Header error: Wrong MessageStart %s received, peer=%d", "… Size too large (%s, %u bytes), peer=%d",
  // "… Wrong checksum (%s, %u bytes), expected %s was %s, peer=%d", "… Invalid message type (%s, %u bytes), peer=%d", "… Unable to deserialize, peer=%d"
  {
    kind: "protocol-error",
    hint: "Header error: ",
    re: /^Header error: (Wrong MessageStart|Size too large|Wrong checksum|Invalid message type|Unable to deserialize)(.{0,200}?),? peer=(\d{1,15})$/,
    handle: (m) => [fact("net.protocol_error", { peerId: num(m[3]), problem: HEADER_PROBLEMS[m[1] as string] ?? "bad_header", detail: m[0].slice(0, 256) })],
  },
  // net.cpp V2Transport: "V2 transport error: <what>, peer=%d", and "V2 transport error: V1 peer with wrong MessageStart %s" (no peer)
  {
    kind: "protocol-error",
    hint: "V2 transport error: ",
    re: /^V2 transport error: (V1 peer with wrong MessageStart [0-9a-f]{0,16}|.{1,200}?, peer=(\d{1,15}))$/,
    handle: (m) => [
      fact("net.protocol_error", {
        ...(m[2] !== undefined ? { peerId: num(m[2]) } : {}),
        problem: m[1]!.startsWith("V1 peer") ? "wrong_magic" : "v2_transport",
        detail: m[0].slice(0, 256),
      }),
    ],
  },
  // net.cpp/net_processing.cpp: "received: %s (%u bytes) peer=%d" and "sending %s (%d bytes) peer=%d"
  {
    kind: "message",
    hint: " bytes) peer=",
    re: /^(received:|sending) ([A-Za-z0-9_]{1,20}) \((\d{1,10}) bytes\) peer=(\d{1,15})$/,
    handle: (m, p) => p.message(num(m[4]), m[1] === "received:" ? "in" : "out", m[2] as string, num(m[3])),
  },
  // net_processing.cpp ProcessAddrs: "Received addr: %u addresses (%u processed, %u rate-limited) from peer=%d"
  {
    kind: "addr-received",
    hint: "Received addr: ",
    re: /^Received addr: (\d{1,10}) addresses \((\d{1,10}) processed, (\d{1,10}) rate-limited\) from peer=(\d{1,15})$/,
    handle: (m) => [fact("addr.received", { peerId: num(m[4]), addresses: num(m[1]), processed: num(m[2]), rateLimited: num(m[3]) })],
  },
  // net_processing.cpp ProcessValidTx: "AcceptToMemoryPool: peer=%d: accepted %s (wtxid=%s) (poolsz %u txn, %u kB)"
  {
    kind: "mempool-accepted",
    hint: "AcceptToMemoryPool: ",
    re: new RegExp(`^AcceptToMemoryPool: peer=(\\d{1,15}): accepted ${HASH} \\(wtxid=${HASH}\\) \\(poolsz (\\d{1,10}) txn, (\\d{1,12}) kB\\)$`),
    handle: (m) => [fact("mempool.accepted", { peerId: num(m[1]), txid: m[2] as string, wtxid: m[3] as string, poolTxs: num(m[4]), poolKb: num(m[5]) })],
  },
  // net_processing.cpp ProcessInvalidTx: "%s (wtxid=%s) from peer=%d was not accepted: %s" (-debug=mempoolrej)
  {
    kind: "mempool-rejected",
    hint: "was not accepted: ",
    re: new RegExp(`^${HASH} \\(wtxid=${HASH}\\) from peer=(\\d{1,15}) was not accepted: (.{1,256})$`),
    handle: (m) => [fact("mempool.rejected", { txid: m[1] as string, wtxid: m[2] as string, peerId: num(m[3]), reason: m[4] as string })],
  },
];

/** Parses lines one at a time; remembers what earlier lines said about each peer. */
export class LogParser {
  readonly threadMode = new ThreadNameMode();
  private readonly peers = new PeerTable();
  /** The peer id of the last "Added connection peer=N", which the next "connection from … accepted" is about. */
  private pendingInbound: number | undefined;
  private lastIdentity: EventDataMap["node.info"] | undefined;

  constructor(private readonly chain?: string) {}

  parse(text: string): ParsedLine {
    const line = parseLinePrefix(text, this.threadMode);
    for (const p of PATTERNS) {
      if (!line.message.includes(p.hint)) continue;
      const m = p.re.exec(line.message);
      if (!m) continue;
      if (p.kind === "version") this.threadMode.threadNames = undefined; // a restarted node may log differently
      const facts = p.handle(m, this);
      if (facts === undefined) continue;
      return { line, kind: p.kind, facts };
    }
    return { line, kind: undefined, facts: [] };
  }

  identity(message: string): LogFact[] | undefined {
    const info = parseVersionLine(message);
    if (!info) return undefined;
    this.lastIdentity = { ...info, ...(this.chain ? { chain: this.chain } : {}) };
    return [fact("node.info", this.lastIdentity)];
  }

  multiprocess(): LogFact[] {
    if (!this.lastIdentity || this.lastIdentity.multiprocess) return [];
    this.lastIdentity = { ...this.lastIdentity, multiprocess: true };
    return [fact("node.info", this.lastIdentity)];
  }

  added(id: number, addr: string | undefined): LogFact[] {
    if (addr !== undefined) this.peers.set(id, { addr });
    else this.pendingInbound = id;
    return [];
  }

  accepted(addr: string): LogFact[] {
    if (this.pendingInbound !== undefined) this.peers.set(this.pendingInbound, { addr, connType: "inbound" });
    this.pendingInbound = undefined;
    return [];
  }

  connected(id: number, connType: string, transport: "v1" | "v2" | "detecting" | undefined, version: number, addr: string | undefined): LogFact[] {
    const known = this.peers.update(id, { connType, ...(addr ? { addr } : {}) });
    return [
      fact("net.connection", {
        kind: connType === "inbound" ? "inbound" : "outbound",
        peerId: id,
        // Before v26 the line names no type ("outbound" then stands for it) and no transport.
        ...(connType !== "outbound" ? { connType } : {}),
        ...(transport ? { transport } : {}),
        version,
        ...(known.addr ? { addr: known.addr } : {}),
      }),
    ];
  }

  closed(id: number, addr: string | undefined): LogFact[] {
    const known = this.peers.take(id);
    const a = addr ?? known?.addr;
    return [fact("net.connection", { kind: "closed", peerId: id, ...(a ? { addr: a } : {}), ...(known?.connType ? { connType: known.connType } : {}) })];
  }

  evicted(id: number, connType: string, addr: string | undefined): LogFact[] {
    const a = addr ?? this.peers.get(id)?.addr;
    return [fact("net.connection", { kind: "evicted", peerId: id, connType, ...(a ? { addr: a } : {}) })];
  }

  misbehaving(id: number, reason: string): LogFact[] {
    const known = this.peers.get(id);
    return [
      fact("net.connection", {
        kind: "misbehaving",
        peerId: id,
        reason,
        ...(known?.addr ? { addr: known.addr } : {}),
        ...(known?.connType ? { connType: known.connType } : {}),
      }),
    ];
  }

  disconnecting(id: number, addr: string | undefined, cause: EventDataMap["peer.disconnecting"]["cause"], detail: string, pingWaitSeconds?: number): LogFact[] {
    const a = addr ?? this.peers.get(id)?.addr;
    return [
      fact("peer.disconnecting", { peerId: id, cause, detail, ...(a ? { addr: a } : {}), ...(pingWaitSeconds !== undefined ? { pingWaitSeconds } : {}) }),
    ];
  }

  message(id: number, direction: "in" | "out", msgType: string, size: number): LogFact[] {
    const known = this.peers.get(id);
    // The log does not repeat address and connection type: they come from earlier lines, or are unknown.
    return [fact("net.message", { peerId: id, direction, msgType, size, addr: known?.addr ?? "", connType: known?.connType ?? "unknown" })];
  }
}

/** Every line kind the parser knows, for docs and tests. */
export const LINE_KINDS: readonly string[] = [...new Set(PATTERNS.map((p) => p.kind))];
