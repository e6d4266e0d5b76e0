// The NATS bus against a real nats-server on a loopback port: round trip, validation of what
// arrives, max_payload, the bounded buffer while the server is away, a server restart, a slow
// subscriber, authentication (user/password, token file, NKey, TLS with client certificates) and
// JetStream durable reading. Logs are captured to check that no secret reaches them.
import fs from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import { createUser } from "@nats-io/nkeys";
import { connect } from "@nats-io/transport-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { NatsBus, type NatsBusOptions } from "../../src/bus/nats/nats-bus.js";
import type { NatsConnectSettings } from "../../src/bus/nats/options.js";
import { makeEvent, type PeerwatchEvent } from "../../src/events/index.js";
import { createLogger } from "../../src/logger.js";
import { makeCertificates, natsServerBinary, NatsServer, opensslBinary } from "../helpers/nats-server.js";
import { reportSkip } from "../helpers/skip.js";
import { until } from "../helpers/wait.js";

const H = "2f19d430e8274b2f98d467d0139ed51b49b77f242bb728a06737fd6ddb81b2c7";
const tip = (height: number, node = "n1") => makeEvent("ipc", node, "tip.changed", { height, hash: H });
const message = (peerId: number, node = "n1") =>
  makeEvent("ebpf", node, "net.message", { peerId, addr: "127.0.0.1:1", connType: "inbound", direction: "in", msgType: "ping", size: 8 });

function settings(url: string, over: Partial<NatsConnectSettings> = {}): NatsConnectSettings {
  return { nats: [url], natsStreamMaxAge: 3600, natsStreamMaxBytes: 64 * 1024 * 1024, natsBuffer: 10_000, ...over };
}

/** A JSON logger into a string, to check what the bus logs. */
function capturedLog(): { log: ReturnType<typeof createLogger>; text: () => string } {
  const out = new PassThrough();
  let text = "";
  out.on("data", (d: Buffer) => (text += d.toString()));
  return { log: createLogger({ level: "debug", format: "json", destination: out }), text: () => text };
}

const bin = natsServerBinary();
if ("skip" in bin) {
  reportSkip("NATS bus", bin.skip);
} else {
  const buses: NatsBus[] = [];
  const servers: NatsServer[] = [];
  const bus = (s: NatsConnectSettings, o: Partial<NatsBusOptions> = {}) => {
    const b = new NatsBus(s, { nodeName: "n1", log: capturedLog().log, dropReportIntervalMs: 50, ...o });
    buses.push(b);
    return b;
  };
  const server = async (config = "", jetstream = false) => {
    const s = new NatsServer(bin.path, config, jetstream);
    servers.push(s);
    await s.start();
    return s;
  };
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close(200)));
    await Promise.all(servers.splice(0).map((s) => s.dispose()));
  });

  describe("NATS bus (core)", () => {
    it("delivers every event, identical and in order, on peerwatch.<node>.<type>", async () => {
      const srv = await server();
      const sub = bus(settings(srv.url), { nodeName: "tools" });
      const got: PeerwatchEvent[] = [];
      sub.subscribe({ name: "t" }, (e) => void got.push(e));
      const netOnly: string[] = [];
      const raw = await connect({ servers: srv.url });
      raw.subscribe("peerwatch.*.net.>", { callback: (_e, m) => void netOnly.push(m.subject) });
      await sub.ready;
      await raw.flush();
      const pub = bus(settings(srv.url));
      await pub.ready;
      const sent = [tip(1), message(1), tip(2), message(2, "n.2")];
      for (const e of sent) pub.publish(e);
      await until(() => got.length === 4);
      expect(got).toEqual(sent);
      await until(() => netOnly.length === 2);
      // "n.2" escaped one-to-one (its dot as _2e), never "n_2", which is the node named "n_2".
      expect(netOnly.sort()).toEqual(["peerwatch.n1.net.message", "peerwatch.n_2e2.net.message"]);
      await raw.close();
    });

    it("counts and skips foreign or malformed messages, and keeps delivering", async () => {
      const srv = await server();
      const sub = bus(settings(srv.url), { nodeName: "tools" });
      const got: PeerwatchEvent[] = [];
      sub.subscribe({ name: "t" }, (e) => void got.push(e));
      await sub.ready;
      const raw = await connect({ servers: srv.url });
      const enc = new TextEncoder();
      raw.publish("peerwatch.n1.tip.changed", enc.encode("not json"));
      raw.publish(
        "peerwatch.n1.tip.changed",
        enc.encode(JSON.stringify({ v: 1, ts: 1, node: "n1", source: "ipc", type: "tip.changed", data: { height: -1 } })),
      );
      raw.publish("peerwatch.n1.net.message", enc.encode(JSON.stringify(tip(5)))); // valid event, wrong subject
      raw.publish("peerwatch.other.tip.changed", enc.encode(JSON.stringify(tip(6)))); // another node's subject
      const good = tip(7);
      raw.publish("peerwatch.n1.tip.changed", enc.encode(JSON.stringify(good)));
      await raw.flush();
      await until(() => got.some((e) => e.type === "events.dropped"));
      const drops = got.filter((e) => e.type === "events.dropped");
      expect(drops.map((d) => d.data)).toEqual([{ source: "nats:receive", count: 4, reason: "foreign or malformed message" }]);
      expect(got.filter((e) => e.type === "tip.changed")).toEqual([good]);
      expect(sub.counters().received).toBe(5);
      await raw.close();
    });

    it("refuses an event bigger than the server's max_payload with a counted reason, and goes on", async () => {
      const srv = await server("max_payload: 2048");
      const sub = bus(settings(srv.url), { nodeName: "tools" });
      const got: PeerwatchEvent[] = [];
      sub.subscribe({ name: "t" }, (e) => void got.push(e));
      await sub.ready;
      const reports: PeerwatchEvent[] = [];
      const pub = bus(settings(srv.url), { onReport: (e) => void reports.push(e) });
      await pub.ready;
      const big = makeEvent("rpc", "n1", "source.status", { source: "rpc", state: "up", detail: "x".repeat(2040) });
      pub.publish(tip(1));
      pub.publish(big);
      pub.publish(tip(2));
      await until(() => got.filter((e) => e.type === "tip.changed").length === 2 && reports.length === 1);
      expect(reports[0]!.data).toEqual({ source: "nats:publish", count: 1, reason: "event larger than the server's max_payload (2048 bytes)" });
      expect(got.some((e) => e.type === "source.status")).toBe(false);
    });

    it("holds events in a bounded buffer while the server is away, counts the overflow, sends the rest on connecting", async () => {
      const srv = new NatsServer(bin.path);
      servers.push(srv);
      await srv.start();
      await srv.stop(); // the port is known, nobody listens
      const reports: PeerwatchEvent[] = [];
      const pub = bus(settings(srv.url, { natsBuffer: 10 }), { onReport: (e) => void reports.push(e) });
      for (let i = 0; i < 25; i++) pub.publish(tip(i));
      await until(() => reports.length === 1, 3000);
      expect(reports[0]!.data).toEqual({ source: "nats:publish", count: 15, reason: "NATS unreachable or too slow, buffer full (10 events)" });
      expect(pub.counters()).toMatchObject({ connected: false, buffered: 10, sent: 0 });
      await srv.start();
      await pub.ready;
      // The loss report itself also goes out once connected.
      await until(() => pub.counters().sent === 10, 5000);
      expect(pub.counters().buffered).toBe(0);
    });

    it("survives a server restart mid-stream: both sides reconnect, losses are counted, nothing crashes", async () => {
      const srv = await server();
      const { log, text } = capturedLog();
      const sub = bus(settings(srv.url), { nodeName: "tools", log });
      const got: PeerwatchEvent[] = [];
      sub.subscribe({ name: "t" }, (e) => void got.push(e));
      await sub.ready;
      const reports: PeerwatchEvent[] = [];
      const pub = bus(settings(srv.url, { natsBuffer: 20 }), { onReport: (e) => void reports.push(e) });
      await pub.ready;
      let n = 0;
      const feeder = setInterval(() => pub.publish(tip(++n)), 5);
      await until(() => got.length >= 20, 5000);
      await srv.stop();
      await until(() => reports.length > 0, 5000); // 20 events of buffer last 100 ms at 200/s
      await srv.start();
      const before = got.length;
      await until(() => got.length > before + 50, 15000);
      clearInterval(feeder);
      const heights = got.filter((e) => e.type === "tip.changed").map((e) => (e.data as { height: number }).height);
      expect(heights.length).toBeLessThan(n);
      expect(Math.max(...heights)).toBeGreaterThan(n - 200);
      expect(heights).toEqual([...heights].sort((a, b) => a - b)); // in order, with a gap
      const lost = reports.reduce((s, r) => s + (r.data as { count: number }).count, 0);
      expect(lost).toBeGreaterThan(0);
      expect(text()).toMatch(/NATS: reconnected/);
    });

    it("bounds a slow subscriber: what it cannot take is dropped and reported, the rest delivered", async () => {
      const srv = await server();
      const sub = bus(settings(srv.url), { nodeName: "tools" });
      const got: PeerwatchEvent[] = [];
      sub.subscribe({ name: "slow", maxQueue: 50 }, async (e) => {
        got.push(e);
        await new Promise((r) => setTimeout(r, 2));
      });
      await sub.ready;
      const pub = bus(settings(srv.url));
      await pub.ready;
      for (let i = 0; i < 1000; i++) pub.publish(tip(i));
      await until(() => {
        const drops = got.filter((e) => e.type === "events.dropped").reduce((s, e) => s + (e.data as { count: number }).count, 0);
        return got.filter((e) => e.type === "tip.changed").length + drops === 1000;
      }, 15000);
      const drops = got.filter((e) => e.type === "events.dropped");
      expect(drops.length).toBeGreaterThan(0);
      expect(drops[0]!.data).toMatchObject({ source: "bus:slow", reason: "subscriber queue full (50 events)" });
      expect(sub.counters().received).toBe(1000);
    });
  });

  describe("NATS bus security", () => {
    let certs: ReturnType<typeof makeCertificates> | undefined;
    const ssl = opensslBinary();
    const certDir = fs.mkdtempSync(path.join(fs.realpathSync("/tmp"), "pw-certs-"));
    beforeAll(() => {
      if ("path" in ssl) certs = makeCertificates(certDir);
    });
    afterAll(() => fs.rmSync(certDir, { recursive: true, force: true }));

    const roundTrip = async (s: NatsConnectSettings) => {
      const sub = bus(s, { nodeName: "tools" });
      const got: PeerwatchEvent[] = [];
      sub.subscribe({ name: "t" }, (e) => void got.push(e));
      await sub.ready;
      const pub = bus(s);
      await pub.ready;
      const e = tip(42);
      pub.publish(e);
      await until(() => got.length === 1);
      expect(got[0]).toEqual(e);
    };

    it("user and password: connects with the right ones, refuses wrong ones, never logs the password", async () => {
      const password = "s3cret-Pa55word-xyz";
      const srv = await server(`authorization { user: watcher, password: "${password}" }`);
      const { log, text } = capturedLog();
      await roundTrip(settings(srv.url, { natsUser: "watcher", natsPassword: password }));
      const bad = new NatsBus(settings(srv.url, { natsUser: "watcher", natsPassword: "wrong-Pa55word-abc" }), { nodeName: "n1", log });
      buses.push(bad);
      await expect(bad.ready).rejects.toThrow(/Authorization/i);
      const pwFile = path.join(srv.dir, "pw");
      fs.writeFileSync(pwFile, `${password}\n`);
      const good = new NatsBus(settings(`nats://watcher:${password}@127.0.0.1:${srv.port}`), { nodeName: "n1", log });
      buses.push(good);
      await good.ready;
      const fromFile = new NatsBus(settings(srv.url, { natsUser: "watcher", natsPasswordFile: pwFile }), { nodeName: "n1", log });
      buses.push(fromFile);
      await fromFile.ready;
      await Promise.all(buses.splice(0).map((b) => b.close(100)));
      expect(text()).toMatch(/NATS: connected/);
      expect(text()).toMatch(/\*\*\*@127\.0\.0\.1/);
      expect(text()).not.toContain(password);
      expect(text()).not.toContain("wrong-Pa55word-abc");
    });

    it("token from a file and NKey seed from a file", async () => {
      const token = "tok-0123456789abcdef";
      const srvT = await server(`authorization { token: "${token}" }`);
      const tokenFile = path.join(srvT.dir, "token");
      fs.writeFileSync(tokenFile, token);
      await roundTrip(settings(srvT.url, { natsTokenFile: tokenFile }));
      const user = createUser();
      const srvN = await server(`authorization { users: [ { nkey: ${user.getPublicKey()} } ] }`);
      const seedFile = path.join(srvN.dir, "user.nk");
      fs.writeFileSync(seedFile, new TextDecoder().decode(user.getSeed()));
      await roundTrip(settings(srvN.url, { natsNkey: seedFile }));
      const refused = bus(settings(srvN.url, { natsToken: "nope-not-a-key" }));
      await expect(refused.ready).rejects.toThrow(/Authorization/i);
    });

    it.skipIf(!("path" in ssl))("TLS with a CA and a client certificate (verify on); refused without the client certificate", async () => {
      const c = certs!;
      const srv = await server(`tls { cert_file: "${c.serverCert}", key_file: "${c.serverKey}", ca_file: "${c.ca}", verify: true }`);
      await roundTrip(settings(srv.url, { natsTlsCa: c.ca, natsTlsCert: c.clientCert, natsTlsKey: c.clientKey }));
      const noCert = bus(settings(srv.url, { natsTlsCa: c.ca }));
      await expect(Promise.race([noCert.ready.then(() => "connected"), new Promise((r) => setTimeout(() => r("not connected"), 3000))])).resolves.not.toBe(
        "connected",
      );
    });
    if (!("path" in ssl)) reportSkip("NATS TLS", ssl.skip);
  });

  describe("NATS bus (JetStream)", () => {
    it("publishes into a stream it creates; a durable reader that stops resumes where it stopped, nothing lost", async () => {
      const srv = await server("", true);
      const stream = { name: "PW", maxAgeSeconds: 3600, maxBytes: 64 * 1024 * 1024 };
      const pub = bus(settings(srv.url, { natsStream: "PW" }), { stream });
      await pub.ready;
      for (let i = 0; i < 500; i++) pub.publish(tip(i));
      await until(() => pub.counters().sent === 500, 10000);

      const heights: number[] = [];
      const first = bus(settings(srv.url), { nodeName: "tools", stream, durable: "tools1" });
      first.subscribe({ name: "t" }, (e) => {
        if (e.type === "tip.changed") heights.push(e.data.height);
      });
      await until(() => heights.length >= 100, 10000);
      await first.close(500);
      buses.splice(buses.indexOf(first), 1);
      const afterFirst = heights.length;
      expect(afterFirst).toBeLessThan(500 + 256);

      for (let i = 500; i < 600; i++) pub.publish(tip(i));
      const second = bus(settings(srv.url), { nodeName: "tools", stream, durable: "tools1" });
      second.subscribe({ name: "t" }, (e) => {
        if (e.type === "tip.changed") heights.push(e.data.height);
      });
      await until(() => new Set(heights).size === 600, 15000);
      expect([...new Set(heights)].sort((a, b) => a - b)).toEqual(Array.from({ length: 600 }, (_, i) => i));
    });
  });
}
