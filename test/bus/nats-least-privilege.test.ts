// NATS least privilege, against a real nats-server with JetStream and the permissions docs/deploy.md
// ships: a watched node may publish its own subjects and read its own acks, nothing else. A
// compromised node host then cannot delete or purge the stream (the fleet's whole record), delete
// the tools' consumer, or publish as another node; tools still read everything. Node names map to
// subject tokens one-to-one, so a permission for one node's token is not another node's.
import fs from "node:fs";
import { PassThrough } from "node:stream";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NatsBus } from "../../src/bus/nats/nats-bus.js";
import type { NatsConnectSettings } from "../../src/bus/nats/options.js";
import { nodeToken, subjectFor } from "../../src/bus/nats/subjects.js";
import { makeEvent, type PeerwatchEvent } from "../../src/events/index.js";
import { createLogger } from "../../src/logger.js";
import { natsServerBinary, NatsServer } from "../helpers/nats-server.js";
import { reportSkip } from "../helpers/skip.js";
import { until } from "../helpers/wait.js";

const H = "2f19d430e8274b2f98d467d0139ed51b49b77f242bb728a06737fd6ddb81b2c7";
const tip = (height: number, node: string) => makeEvent("ipc", node, "tip.changed", { height, hash: H });
const STREAM = { name: "PEERWATCH", maxAgeSeconds: 3600, maxBytes: 64 * 1024 * 1024 };

/** The users and permissions of docs/deploy.md (section 1), with test passwords: the docs are what is tested. */
function deployPermissions(): string {
  const doc = fs.readFileSync("docs/deploy.md", "utf8");
  const users = ["node-a", "node-b", "tools"].map((u) => {
    const m = new RegExp(`^\\s*\\{ user: ${u},\\s*password: \\$\\w+,\\s*(permissions: \\{.*\\}) \\}$`, "m").exec(doc);
    if (!m) throw new Error(`docs/deploy.md has no user ${u} with permissions`);
    return `{ user: ${u}, password: "${PASSWORDS[u]}", ${m[1]} }`;
  });
  return `authorization {\n  users: [\n    ${users.join("\n    ")}\n  ]\n}`;
}
const PASSWORDS: Record<string, string> = { "node-a": "pa-0123456789", "node-b": "pb-0123456789", tools: "pt-0123456789" };

function capturedLog(): { log: ReturnType<typeof createLogger>; text: () => string } {
  const out = new PassThrough();
  let text = "";
  out.on("data", (d: Buffer) => (text += d.toString()));
  return { log: createLogger({ level: "debug", format: "json", destination: out }), text: () => text };
}

describe("node names as subject tokens", () => {
  it("are one-to-one: names that used to share a token no longer do", () => {
    const names = ["a.b", "a_b", "a*b", "a>b", "a b", "a_2eb", "node-a", "Node-A", "ä", "a.b.c"];
    const tokens = names.map(nodeToken);
    expect(new Set(tokens).size).toBe(names.length);
    for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(nodeToken("node-a")).toBe("node-a");
    expect(subjectFor({ node: "a.b", type: "tip.changed" })).not.toBe(subjectFor({ node: "a_b", type: "tip.changed" }));
  });
});

const bin = natsServerBinary();
if ("skip" in bin) {
  reportSkip("NATS least privilege", bin.skip);
} else {
  describe("NATS least privilege (docs/deploy.md permissions, real nats-server with JetStream)", () => {
    let srv: NatsServer;
    const buses: NatsBus[] = [];
    const raws: NatsConnection[] = [];
    const as = (user: string, password: string): NatsConnectSettings => ({
      nats: [srv.url],
      natsUser: user,
      natsPassword: password,
      natsStreamMaxAge: 3600,
      natsStreamMaxBytes: STREAM.maxBytes,
      natsBuffer: 10_000,
      natsStream: STREAM.name,
    });
    const raw = async (user: string, pass: string) => {
      const nc = await connect({ servers: srv.url, user, pass, inboxPrefix: `_INBOX.peerwatch.${user}` });
      raws.push(nc);
      return nc;
    };
    beforeAll(async () => {
      srv = new NatsServer(bin.path, deployPermissions(), true);
      await srv.start();
    });
    afterAll(async () => {
      await Promise.all(buses.map((b) => b.close(200)));
      await Promise.all(raws.map((n) => n.close()));
      await srv.dispose();
    });

    it("tools creates the stream; node-a publishes into it with acks, node-a cannot delete, purge or publish as node-b; tools reads everything", async () => {
      // The tools process: creates the stream and its durable consumer, reads every node.
      const got: PeerwatchEvent[] = [];
      const toolsLog = capturedLog();
      const tools = new NatsBus(as("tools", "pt-0123456789"), {
        nodeName: "tools",
        log: toolsLog.log,
        stream: STREAM,
        durable: "tools-1",
        dropReportIntervalMs: 50,
      });
      buses.push(tools);
      tools.subscribe({ name: "t" }, (e) => void got.push(e));
      await tools.ready;

      // Each node publishes its own events through the stream, and JetStream acknowledges them.
      const pubs = ["a", "b"].map((n) => {
        const { log, text } = capturedLog();
        const b = new NatsBus(as(`node-${n}`, `p${n}-0123456789`), { nodeName: `node-${n}`, log, stream: STREAM });
        buses.push(b);
        return { b, text };
      });
      await Promise.all(pubs.map((p) => p.b.ready));
      for (let i = 0; i < 20; i++) {
        pubs[0]!.b.publish(tip(i, "node-a"));
        pubs[1]!.b.publish(tip(100 + i, "node-b"));
      }
      await until(() => pubs.every((p) => p.b.counters().sent === 20), 10_000).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}: sent ${pubs.map((p) => p.b.counters().sent)}\n${pubs[0]!.text().slice(-1500)}`);
      });
      expect(pubs[0]!.text()).toMatch(/not allowed to manage JetStream \(least privilege\)/);
      await until(() => got.filter((e) => e.type === "tip.changed").length === 40, 10_000);
      expect(new Set(got.filter((e) => e.type === "tip.changed").map((e) => e.node))).toEqual(new Set(["node-a", "node-b"]));

      // A compromised node-a host, with node-a's credentials and any client it likes:
      const a = await raw("node-a", "pa-0123456789");
      const jsm = await jetstreamManager(a, { checkAPI: false });
      await expect(jsm.streams.delete(STREAM.name)).rejects.toThrow(/permission/i);
      await expect(jsm.streams.purge(STREAM.name)).rejects.toThrow(/permission/i);
      await expect(jsm.consumers.delete(STREAM.name, "tools-1")).rejects.toThrow(/permission/i);
      // Publishing as node-b is refused by the server; node-b's event on node-a's subject by the tools.
      const before = got.length;
      a.publish(subjectFor({ node: "node-b", type: "tip.changed" }), new TextEncoder().encode(JSON.stringify(tip(999, "node-b"))));
      a.publish(subjectFor({ node: "node-a", type: "tip.changed" }), new TextEncoder().encode(JSON.stringify(tip(998, "node-b"))));
      await a.flush().catch(() => {});
      const rejected = () => tools.counters().dropped["nats:receive: foreign or malformed message"] ?? 0;
      await until(() => rejected() === 1, 10_000);
      expect(toolsLog.text()).toMatch(/NATS: skipped .*peerwatch\.node-a\.tip\.changed/);
      expect(got.slice(before).filter((e) => e.type === "tip.changed" && (e.data.height === 999 || e.data.height === 998))).toEqual([]);

      // The stream and the tools' consumer are intact: everything still arrives.
      const admin = await raw("tools", "pt-0123456789");
      const info = await (await jetstreamManager(admin)).streams.info(STREAM.name);
      // The 40 events and the forgery node-a could publish on its own subject; not the one as node-b.
      expect(info.state.messages).toBe(41);
      pubs[0]!.b.publish(tip(50, "node-a"));
      await until(() => got.some((e) => e.type === "tip.changed" && e.data.height === 50), 10_000);
    });
  });
}
