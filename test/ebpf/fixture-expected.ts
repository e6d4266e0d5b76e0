// What the USDT fixture's "all" command fires, as the events peerwatch must make of it (64 payload
// bytes captured; the addrv2 entries after its count are the fixture's byte ramp, read as two entries of an
// unknown network id). Hashes: the fixture fills byte i with seed+i in internal order; display reverses.
const display = (seed: number) =>
  Buffer.from(Array.from({ length: 32 }, (_, i) => seed + i))
    .reverse()
    .toString("hex");
const TOR = "vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd.onion:8333";
const addrv2Payload = Buffer.from(Array.from({ length: 64 }, (_, i) => i));
addrv2Payload[0] = 0xfd;
addrv2Payload[1] = 0xe8;
addrv2Payload[2] = 0x03;

export const FIXTURE_EVENTS = [
  {
    type: "net.message",
    data: {
      peerId: 7,
      addr: "203.0.113.7:8333",
      connType: "outbound-full-relay",
      direction: "in",
      msgType: "ping",
      size: 8,
      payloadHex: "85b060e39beef6e4",
      truncated: false,
      decoded: { nonce: "85b060e39beef6e4" },
    },
  },
  {
    type: "net.message",
    data: {
      peerId: 12,
      addr: TOR,
      connType: "inbound",
      direction: "out",
      msgType: "addrv2",
      size: 30003,
      payloadHex: addrv2Payload.toString("hex"),
      truncated: true,
      decoded: { entries: 1000, networks: { unknown: 2 } },
    },
  },
  { type: "net.connection", data: { kind: "inbound", peerId: 12, addr: TOR, connType: "inbound", network: "onion", existing: 9 } },
  { type: "net.connection", data: { kind: "outbound", peerId: 7, addr: "203.0.113.7:8333", connType: "outbound-full-relay", network: "ipv4", existing: 8 } },
  {
    type: "net.connection",
    data: { kind: "closed", peerId: 7, addr: "203.0.113.7:8333", connType: "outbound-full-relay", network: "ipv4", connectedAt: 1795470474 },
  },
  { type: "net.connection", data: { kind: "evicted", peerId: 12, addr: TOR, connType: "inbound", network: "onion", connectedAt: 1795470400 } },
  { type: "net.connection", data: { kind: "misbehaving", peerId: 12, reason: "header with invalid proof of work\t(tab and spaces)" } },
  { type: "mempool.added", data: { txid: display(1), vsize: 141, fee: 1410 } },
  { type: "mempool.removed", data: { txid: display(1), reason: "block", vsize: 141, fee: 1410, entryTime: 1795470490 } },
  {
    type: "mempool.replaced",
    data: {
      replacedTxid: display(1),
      replacedVsize: 110,
      replacedFee: 1100,
      replacedEntryTime: 1795470480,
      replacementTxid: display(2),
      replacementVsize: null,
      replacementFee: null,
      replacedByTransaction: null,
    },
  },
  { type: "mempool.rejected", data: { txid: display(2), reason: "min relay fee not met, 0 < 10" } },
  { type: "block.connected", data: { hash: display(3), height: 111, txs: 6, inputs: 5, sigops: 4, connectNs: 1234567 } },
  { type: "utxocache.add", data: { txid: display(1), vout: 1, height: 111, value: 5_000_000_000, coinbase: true } },
  { type: "utxocache.spent", data: { txid: display(1), vout: 0, height: 100, value: 2500, coinbase: false } },
  { type: "utxocache.uncache", data: { txid: display(2), vout: 2, height: 99, value: 1, coinbase: false } },
  { type: "utxocache.flush", data: { durationUs: 1500, mode: 2, coins: 12345, memoryBytes: 33554432, forPrune: false } },
];
