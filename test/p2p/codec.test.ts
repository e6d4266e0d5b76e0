import fs from "node:fs";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { CHAIN_PARAMS } from "../../src/config/chains.js";
import { P2pDecodeError } from "../../src/codecs/p2p/byte-reader.js";
import { MAX_PROTOCOL_MESSAGE_LENGTH, P2pMessageDecoder, encodeMessage, sha256d } from "../../src/codecs/p2p/framing.js";
import {
  decodeAddr,
  decodeAddrV2,
  decodeFeeFilter,
  decodeInv,
  decodeNonce,
  decodeVersion,
  decodeVersionPrefix,
  encodeNonce,
  encodeVersion,
} from "../../src/codecs/p2p/messages.js";
import { capturedPayloads } from "../helpers/bpftrace-capture.js";
import { REPO_ROOT } from "../helpers/capture.js";

const regtest = CHAIN_PARAMS.regtest.magic;

describe("P2P framing", () => {
  it("double SHA-256 matches the protocol documentation's example", () => {
    expect(sha256d(Buffer.from("hello")).toString("hex")).toBe("9595c9df90075148eb06860365df33584b75bff782a510c6cd4883a419833d50");
  });

  it("encodes a mainnet verack byte for byte", () => {
    expect(encodeMessage(CHAIN_PARAMS.main.magic, "verack").toString("hex")).toBe("f9beb4d976657261636b000000000000000000005df6e0e2");
  });

  it.each([
    ["main", "f9beb4d9"],
    ["testnet4", "1c163f28"],
    ["signet", "0a03cf40"],
    ["regtest", "fabfb5da"],
  ] as const)("uses the %s magic %s and checks it on the way in", (chain, hex) => {
    const msg = encodeMessage(CHAIN_PARAMS[chain].magic, "ping", encodeNonce(42n));
    expect(msg.subarray(0, 4).toString("hex")).toBe(hex);
    expect(new P2pMessageDecoder(CHAIN_PARAMS[chain].magic).push(msg)).toEqual([{ command: "ping", payload: encodeNonce(42n) }]);
    const other = chain === "main" ? CHAIN_PARAMS.regtest.magic : CHAIN_PARAMS.main.magic;
    expect(() => new P2pMessageDecoder(other).push(msg)).toThrow(/bad magic .*wrong --chain/);
  });

  it("rejects a bad checksum, an oversized length and a bad command", () => {
    const good = encodeMessage(regtest, "ping", encodeNonce(7n));
    const badSum = Buffer.from(good);
    badSum[23] = (badSum[23] as number) ^ 1;
    expect(() => new P2pMessageDecoder(regtest).push(badSum)).toThrow(/bad checksum/);
    const big = Buffer.from(good.subarray(0, 24));
    big.writeUInt32LE(MAX_PROTOCOL_MESSAGE_LENGTH + 1, 16);
    expect(() => new P2pMessageDecoder(regtest).push(big)).toThrow(/exceeds the protocol maximum/);
    const badCmd = Buffer.from(good);
    badCmd[4] = 0x07;
    expect(() => new P2pMessageDecoder(regtest).push(badCmd)).toThrow(/non-printable/);
    const trailing = Buffer.from(good);
    trailing[14] = 0x41; // "ping\0...A"
    expect(() => new P2pMessageDecoder(regtest).push(trailing)).toThrow(/after its NUL padding/);
  });

  it("joins a 4 MB message in 536-byte chunks once, not once per chunk", () => {
    const msg = encodeMessage(regtest, "block", Buffer.alloc(MAX_PROTOCOL_MESSAGE_LENGTH, 7));
    const d = new P2pMessageDecoder(regtest);
    const concat = vi.spyOn(Buffer, "concat");
    let out: { command: string; payload: Buffer }[] = [];
    try {
      for (let i = 0; i < msg.length; i += 536) out = out.concat(d.push(msg.subarray(i, i + 536)));
      expect(out).toHaveLength(1);
      expect(out[0]?.payload.length).toBe(MAX_PROTOCOL_MESSAGE_LENGTH);
      // Once for the header (it spans the first chunks), once for the whole message.
      expect(concat.mock.calls.length).toBeLessThanOrEqual(2);
    } finally {
      concat.mockRestore();
    }
    expect(d.bufferedBytes).toBe(0);
  });

  it("waits for truncated headers and bodies, byte by byte", () => {
    const two = Buffer.concat([encodeMessage(regtest, "verack"), encodeMessage(regtest, "pong", encodeNonce(9n))]);
    const d = new P2pMessageDecoder(regtest);
    const out = [...two].flatMap((b) => d.push(Buffer.of(b)));
    expect(out.map((m) => m.command)).toEqual(["verack", "pong"]);
    expect(d.bufferedBytes).toBe(0);
  });

  it("never throws anything but P2pDecodeError on random bytes, and never buffers past one message", () => {
    let seed = 1;
    const rnd = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let round = 0; round < 2000; round++) {
      const d = new P2pMessageDecoder(regtest);
      const len = Math.floor(rnd() * 200);
      const bytes = Buffer.from(Array.from({ length: len }, () => Math.floor(rnd() * 256)));
      // half the rounds start with a valid magic so the deeper checks are reached
      if (round % 2 === 0 && len >= 4) Buffer.from(regtest).copy(bytes);
      try {
        d.push(bytes);
      } catch (e) {
        expect(e).toBeInstanceOf(P2pDecodeError);
      }
      expect(d.bufferedBytes).toBeLessThanOrEqual(24 + MAX_PROTOCOL_MESSAGE_LENGTH);
    }
  });
});

describe("P2P messages recorded from a real Bitcoin Core node", () => {
  const recorded = fs
    .readFileSync(path.join(REPO_ROOT, "test/p2p/vectors/regtest-node-messages.txt"), "utf8")
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => l.split(" ") as [string, string]);

  it("decodes each message, checksum included, and re-encodes it byte for byte", () => {
    const d = new P2pMessageDecoder(regtest);
    for (const [command, hex] of recorded) {
      const bytes = Buffer.from(hex, "hex");
      const [m] = d.push(bytes);
      expect(m?.command).toBe(command);
      expect(encodeMessage(regtest, command, m!.payload).equals(bytes)).toBe(true);
    }
  });

  it("reads the whole version message", () => {
    const v = Buffer.from(recorded[0]![1], "hex").subarray(24);
    expect(decodeVersion(v)).toMatchObject({
      version: 70017,
      services: 0xc09n,
      userAgent: "/Satoshi:31.99.0/",
      startHeight: 0,
      relay: true,
      addrRecv: { services: 0n, ip: "0:0:0:0:0:0:0:0", port: 0 },
    });
  });

  it("reads the ping nonce", () => {
    const ping = Buffer.from(recorded.find((r) => r[0] === "ping")![1], "hex").subarray(24);
    expect(decodeNonce(ping, "ping")).toBe(0x4f8382bf18f414acn);
  });
});

describe("P2P payloads, on real bytes from a regtest session", () => {
  it("decodes what a captured prefix of Bitcoin Core 31.99's version message holds", () => {
    const [v] = capturedPayloads("in", "version");
    expect(v?.size).toBe(103);
    expect(v?.payload.length).toBe(64); // bpftrace copied 64 of 103 bytes
    expect(() => decodeVersion(v!.payload)).toThrow(P2pDecodeError);
    expect(decodeVersionPrefix(v!.payload)).toEqual({ version: 70017, services: 0xc09n, timestamp: expect.any(BigInt) });
    const framed = encodeMessage(regtest, "version", v!.payload);
    expect(new P2pMessageDecoder(regtest).push(framed)[0]?.payload.equals(v!.payload)).toBe(true);
  });

  it("round-trips the version peerwatch sends", () => {
    const payload = encodeVersion({
      version: 70016,
      services: 0n,
      recvIp: "127.0.0.1",
      recvPort: 18444,
      nonce: 0x1122334455667788n,
      userAgent: "/peerwatch:0.1.0/",
      startHeight: 0,
      relay: false,
      timestamp: 1795470474n,
    });
    expect(payload.length).toBe(4 + 8 + 8 + 26 + 26 + 8 + 1 + 17 + 4 + 1);
    expect(decodeVersion(payload)).toEqual({
      version: 70016,
      services: 0n,
      timestamp: 1795470474n,
      addrRecv: { services: 0n, ip: "127.0.0.1", port: 18444 },
      nonce: 0x1122334455667788n,
      userAgent: "/peerwatch:0.1.0/",
      startHeight: 0,
      relay: false,
    });
  });

  it("reads ping and pong nonces, and pongs echo pings", () => {
    const [ping] = capturedPayloads("out", "ping");
    const [pong] = capturedPayloads("in", "pong");
    expect(decodeNonce(ping!.payload, "ping")).toBe(0xe4f6ee9be360b085n);
    expect(decodeNonce(pong!.payload, "pong")).toBe(decodeNonce(ping!.payload, "ping"));
    expect(() => decodeNonce(Buffer.alloc(4), "ping")).toThrow(/needs 8 bytes/);
  });

  it("reads fee filters in sat/vB", () => {
    const rates = capturedPayloads("in", "feefilter").map((f) => decodeFeeFilter(f.payload));
    expect(rates).toContain(9936.506); // the high filter a node sends while catching up
    expect(rates).toContain(0.1); // 100 sat/kvB
  });

  it("reads inv entries by type", () => {
    const [inv] = capturedPayloads("out", "inv");
    expect(decodeInv(inv!.payload)).toEqual({ count: 1, types: { block: 1 }, read: 1 });
  });

  it("reads addr and addrv2 counts and networks, and bounds the count", () => {
    const addrv2 = Buffer.concat([
      Buffer.of(2),
      Buffer.from("5d9a6b6a", "hex"),
      Buffer.of(1),
      Buffer.of(1, 4),
      Buffer.from([10, 0, 0, 1]),
      Buffer.from("208d", "hex"),
      Buffer.from("5d9a6b6a", "hex"),
      Buffer.of(9),
      Buffer.of(4, 32),
      Buffer.alloc(32, 7),
      Buffer.from("208d", "hex"),
    ]);
    expect(decodeAddrV2(addrv2)).toEqual({ count: 2, read: 2, networks: { ipv4: 1, onion: 1 } });
    expect(decodeAddrV2(addrv2.subarray(0, 30), true)).toMatchObject({ count: 2, read: 1 });
    expect(() => decodeAddrV2(Buffer.from("fde903", "hex"))).toThrow(/count of 1001 exceeds 1000/);
    const addr = Buffer.concat([Buffer.of(1), Buffer.alloc(12), Buffer.from("00000000000000000000ffff7f000001208d", "hex")]);
    expect(decodeAddr(addr)).toEqual({ count: 1, read: 1, networks: { ipv4: 1 } });
    expect(() => decodeInv(Buffer.from("fe00000100", "hex"))).toThrow(/count of 65536 exceeds 50000/);
    expect(() => decodeInv(Buffer.from("fe51c30000", "hex"))).toThrow(/not canonically encoded/);
  });
});

describe("captured payload decoder", () => {
  it("decodes exactly the types of DECODED_TYPES, which a parser may use to skip the others' bytes", async () => {
    const { DECODED_TYPES, decodePayload } = await import("../../src/codecs/p2p/payload-decoder.js");
    const captureTypes = [
      "block",
      "getdata",
      "headers",
      "feefilter",
      "sendcmpct",
      "getheaders",
      "wtxidrelay",
      "version",
      "verack",
      "sendaddrv2",
      "pong",
      "ping",
      "sendheaders",
      "inv",
      "getblocktxn",
      "getaddr",
      "cmpctblock",
      "blocktxn",
    ];
    const types = new Set([...captureTypes, ...DECODED_TYPES, "tx", "addr", "addrv2", "notfound"]);
    // Every payload of the capture under every type name, plus made-up ones that decode as nearly anything.
    const payloads = captureTypes.flatMap((t) => [...capturedPayloads("in", t), ...capturedPayloads("out", t)].map((c) => c.payload));
    expect(payloads.length).toBeGreaterThan(200);
    payloads.push(
      Buffer.from("01" + "01000000" + "00".repeat(32), "hex"),
      Buffer.from("01" + "00".repeat(4) + "01".repeat(8) + "00".repeat(16) + "8d20", "hex"),
      Buffer.from("0000000000000000", "hex"),
    );
    for (const type of types) {
      const decodes = payloads.some((p) => decodePayload(type, p) !== undefined);
      expect(decodes, type).toBe(DECODED_TYPES.has(type));
    }
  });
});

describe("version prefix", () => {
  it("reads every prefix of a version message: all of it when whole, the leading fields otherwise", () => {
    for (const userAgent of ["", "/peerwatch:0.1.0/"]) {
      const payload = encodeVersion({
        version: 70016,
        services: 0x409n,
        recvIp: "127.0.0.1",
        recvPort: 18444,
        nonce: 7n,
        userAgent,
        startHeight: 5,
        relay: true,
        timestamp: 1795470474n,
      });
      const whole = decodeVersion(payload);
      for (let n = 0; n <= payload.length; n++) {
        const got = decodeVersionPrefix(payload.subarray(0, n));
        // The whole message without its optional relay byte still decodes whole.
        if (n >= payload.length - 1) expect(got, `${n}`).toEqual({ ...whole, relay: true });
        else
          expect(got, `${n}`).toEqual({
            ...(n >= 4 ? { version: 70016 } : {}),
            ...(n >= 12 ? { services: 0x409n } : {}),
            ...(n >= 20 ? { timestamp: 1795470474n } : {}),
          });
      }
    }
  });
});
