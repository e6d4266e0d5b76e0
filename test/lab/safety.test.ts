// The lab's safety checks and the payloads its adversaries build: loopback only, regtest only, and
// what they put on the wire decodes with the project's own codec.
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { decodeAddr, decodeInv } from "../../src/codecs/p2p/messages.js";
import { sha256d } from "../../src/codecs/p2p/framing.js";
import { addrPayload, buildHeader, buildTx, invPayload, MSG_TX, OP_TRUE_SCRIPT, P2WSH_OP_TRUE } from "../../lab/adversary/payloads.js";
import { assertLoopback, assertRegtest, LabSafetyError } from "../../lab/safety.js";

describe("lab safety", () => {
  it("accepts loopback targets and refuses every other address or a name", () => {
    for (const ok of ["127.0.0.1", "127.0.77.5", "::1", "[::1]"]) expect(() => assertLoopback(ok)).not.toThrow();
    for (const bad of ["10.0.0.1", "192.168.1.2", "8.8.8.8", "localhost", "::", "0.0.0.0", "128.0.0.1"])
      expect(() => assertLoopback(bad)).toThrow(LabSafetyError);
  });

  it("refuses a node that is not regtest, and says which chain it is", async () => {
    const node = (chain: unknown) => ({ call: async () => ({ chain }) });
    await expect(assertRegtest(node("regtest"))).resolves.toBeUndefined();
    await expect(assertRegtest(node("main"))).rejects.toThrow(/"main"/);
    await expect(assertRegtest(node(undefined))).rejects.toThrow(LabSafetyError);
    await expect(assertRegtest({ call: async () => null })).rejects.toThrow(LabSafetyError);
  });
});

describe("lab payloads", () => {
  it("builds addr and inv messages the project's decoder reads back", () => {
    const a = decodeAddr(addrPayload(1000));
    expect(a).toMatchObject({ count: 1000, read: 1000, networks: { ipv4: 1000 } });
    expect(() => addrPayload(1001)).toThrow();
    const inv = decodeInv(
      invPayload([
        { type: MSG_TX, hash: Buffer.alloc(32, 1) },
        { type: MSG_TX, hash: Buffer.alloc(32, 2) },
      ]),
    );
    expect(inv).toMatchObject({ count: 2, types: { tx: 2 } });
  });

  it("spends P2WSH(OP_TRUE) with the script as witness, txid over the stripped serialization", () => {
    expect(P2WSH_OP_TRUE.subarray(2)).toEqual(createHash("sha256").update(OP_TRUE_SCRIPT).digest());
    const tx = buildTx([{ txid: "11".repeat(32), vout: 3, witness: [OP_TRUE_SCRIPT] }], [{ value: 1000n, script: P2WSH_OP_TRUE }]);
    // version, marker+flag, 1 input, 1 output, witness of one 1-byte item, locktime
    expect(tx.bytes.subarray(4, 6)).toEqual(Buffer.of(0, 1));
    const stripped = Buffer.concat([tx.bytes.subarray(0, 4), tx.bytes.subarray(6, tx.bytes.length - 4 - 3), tx.bytes.subarray(tx.bytes.length - 4)]);
    expect(tx.txid).toBe(Buffer.from(sha256d(stripped)).reverse().toString("hex"));
    expect(tx.vsize).toBe(Math.ceil((stripped.length * 3 + tx.bytes.length) / 4));
  });

  it("grinds headers with valid and with invalid regtest proof of work", () => {
    for (const valid of [true, false]) {
      const h = buildHeader("00".repeat(32), 1_700_000_000, valid);
      expect(h.bytes.length).toBe(80);
      const top = sha256d(h.bytes)[31] as number;
      expect(valid ? top < 0x7f : top >= 0x80).toBe(true);
    }
  });
});
