// The parser against the real debug.log of the regtest capture: each line kind is counted the way
// grep would count it, independently of the parser, and the events must match the session's facts.
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeEvent, makeEvent } from "../../src/events/index.js";
import { LogParser, type ParsedLine } from "../../src/log/line-kinds.js";
import { captureFile, captureJson } from "../helpers/capture.js";

const text = fs.readFileSync(captureFile("debug.log"), "utf8");
const lines = text.split("\n").filter((l) => l !== "");
const grep = (re: RegExp) => lines.filter((l) => re.test(l)).length;

function parseAll(): ParsedLine[] {
  const p = new LogParser("regtest");
  return lines.map((l) => p.parse(l));
}
const parsed = parseAll();
const kindCount = (k: string) => parsed.filter((r) => r.kind === k).length;
const facts = parsed.flatMap((r) => r.facts.map((f) => ({ ...f, tsUs: r.line.tsUs })));

describe("the real regtest debug.log", () => {
  it("finds as many lines of each kind as grep does", () => {
    expect(kindCount("update-tip")).toBe(grep(/\] UpdateTip: new best=/));
    expect(kindCount("update-tip")).toBe(112);
    expect(kindCount("block-connected")).toBe(grep(/\[validation\] BlockConnected: block hash=/));
    expect(kindCount("block-connected")).toBe(112);
    expect(kindCount("peer-connected")).toBe(grep(/peer connected: transport: /));
    expect(kindCount("connection-accepted")).toBe(grep(/\] connection from \S+ accepted$/));
    expect(kindCount("connection-added")).toBe(grep(/\] Added connection /));
    expect(kindCount("message")).toBe(grep(/\[net\] (received: \w+|sending \w+) \(\d+ bytes\) peer=\d+$/));
    expect(kindCount("version")).toBe(grep(/\] Bitcoin Core version /));
    expect(kindCount("ipc-listening")).toBe(1);
  });

  it("turns every tip into tip.changed with the UpdateTip details, heights 0 to 111 in order", () => {
    const tips = facts.filter((f) => f.type === "tip.changed");
    expect(tips.map((t) => (t.data as { height: number }).height)).toEqual([...Array(112).keys()]);
    const last = tips.at(-1)?.data as Record<string, unknown>;
    const chain = captureJson("rpc/getblockchaininfo.json") as { bestblockhash: string };
    expect(last.hash).toBe(chain.bestblockhash);
    expect(last.chainTxs).toBeGreaterThan(111);
    expect(last.progress).toBe(1);
    expect(typeof last.cacheMiB).toBe("number");
    const seen = facts.filter((f) => f.type === "block.seen").map((f) => (f.data as { hash: string }).hash);
    expect(seen).toEqual(tips.map((t) => (t.data as { hash: string }).hash));
  });

  it("reads the inbound peer: address from the accept line, v2 transport, version 70017", () => {
    const conns = facts.filter((f) => f.type === "net.connection");
    expect(conns.map((c) => c.data)).toEqual([{ kind: "inbound", peerId: 0, connType: "inbound", transport: "v2", version: 70017, addr: "127.0.0.1:51350" }]);
    const peer = (captureJson("rpc/getpeerinfo.json") as { addr: string }[])[0];
    expect(peer?.addr).toBe("127.0.0.1:51350");
    const pongIn = facts.find(
      (f) => f.type === "net.message" && (f.data as { msgType: string }).msgType === "pong" && (f.data as { direction: string }).direction === "in",
    );
    expect(pongIn?.data).toEqual({ peerId: 0, direction: "in", msgType: "pong", size: 8, addr: "127.0.0.1:51350", connType: "inbound" });
  });

  it("says who the node is from the startup line, and that it is the multiprocess binary", () => {
    const infos = facts.filter((f) => f.type === "node.info").map((f) => f.data);
    expect(infos[0]).toMatchObject({ implementation: "Bitcoin Core", version: "v31.99.0-b88bffe550a3", chain: "regtest", ipcCapable: true });
    expect(infos[1]).toMatchObject({ multiprocess: true });
  });

  it("learns that thread names are on and keeps the categories apart from them", () => {
    const upd = parsed.find((r) => r.kind === "update-tip" && r.line.thread === "unknown");
    expect(upd?.line.category).toBeUndefined();
    const added = parsed.find((r) => r.kind === "connection-added");
    expect(added?.line).toMatchObject({ thread: "net", category: "net", level: "debug" });
    const warn = parsed.find((r) => r.line.message.startsWith("tor: Initiating"));
    expect(warn?.line).toMatchObject({ thread: "torcontrol", level: "warning" });
    expect(parsed[0]?.line.tsUs).toBe(Date.UTC(2026, 10, 23, 21, 47, 49) * 1000 + 166511);
  });

  it("builds only valid events", () => {
    for (const f of facts) {
      const r = decodeEvent(makeEvent("log", "n", f.type, f.data as never, f.tsUs));
      expect(r.ok).toBe(true);
    }
    expect(facts.length).toBe(kindCount("update-tip") + kindCount("block-connected") + kindCount("message") + kindCount("peer-connected") + 2);
  });

  it("leaves the rest unparsed, and there is a rest (it is counted, not dropped)", () => {
    const unknown = parsed.filter((r) => r.kind === undefined);
    expect(unknown.length).toBe(lines.length - parsed.filter((r) => r.kind !== undefined).length);
    expect(unknown.some((r) => r.line.category === "validation")).toBe(true);
    expect(unknown.some((r) => r.line.category === undefined)).toBe(true);
  });
});
