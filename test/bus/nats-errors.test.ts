// The NATS bus reads the client's errors in one place (src/bus/nats/errors.ts), by class and
// JetStream code, never by message text. First the library's own error objects, built as the
// client builds them; then the errors a real nats-server makes the client throw, one per case the
// bus acts on (give up connecting, retry, least privilege, no stream, stream or consumer missing).
import fs from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import { JetStreamApiCodes, JetStreamApiError, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, errors, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isRefusal, natsErrorKind, STREAM_NAME_IN_USE } from "../../src/bus/nats/errors.js";
import { NatsBus } from "../../src/bus/nats/nats-bus.js";
import type { NatsConnectSettings } from "../../src/bus/nats/options.js";
import { makeEvent } from "../../src/events/index.js";
import { createLogger } from "../../src/logger.js";
import { makeCertificates, natsServerBinary, NatsServer, opensslBinary } from "../helpers/nats-server.js";
import { reportSkip } from "../helpers/skip.js";
import { until } from "../helpers/wait.js";

/** What a call throws (it must throw). */
async function thrown(f: () => Promise<unknown>): Promise<unknown> {
  try {
    await f();
  } catch (e) {
    return e;
  }
  throw new Error("expected the call to throw");
}

const apiError = (err_code: number, code: number, description: string) => new JetStreamApiError({ code, err_code, description });

describe("natsErrorKind on the library's error objects", () => {
  it("names each case by class, following the cause chain the client builds", () => {
    const noResponders = new errors.RequestError("no responders: 'x'", { cause: new errors.NoRespondersError("x") });
    const permission = errors.PermissionViolationError.parse('Permissions Violation for Publish to "$JS.API.INFO"');
    expect(permission).toBeInstanceOf(errors.PermissionViolationError);
    const cases: [unknown, string][] = [
      [errors.AuthorizationError.parse("Authorization Violation"), "refused"],
      [errors.UserAuthenticationExpiredError.parse("User Authentication Expired"), "refused"],
      [permission, "permission"],
      [new errors.RequestError(permission!.message, { cause: permission }), "permission"],
      [noResponders, "no-responders"],
      // A JetStream publish that nothing stores: the client says "jetstream is not enabled" around it.
      [new Error("jetstream is not enabled", { cause: noResponders }), "no-responders"],
      [apiError(JetStreamApiCodes.StreamNotFound, 404, "stream not found"), "stream-not-found"],
      [apiError(JetStreamApiCodes.ConsumerNotFound, 404, "consumer not found"), "consumer-not-found"],
      [apiError(STREAM_NAME_IN_USE, 400, "stream name already in use with a different configuration"), "stream-name-in-use"],
      [apiError(10065, 400, "subjects overlap with an existing stream"), "jetstream-api"],
      [new errors.TimeoutError(), "timeout"],
      [new errors.RequestError("timeout", { cause: new errors.TimeoutError() }), "timeout"],
      [new errors.ClosedConnectionError(), "closed"],
      [new errors.DrainingConnectionError(), "closed"],
      [new errors.ConnectionError("connection refused", { cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }) }), "unreachable"],
      [Object.assign(new Error("getaddrinfo ENOTFOUND nats.example"), { code: "ENOTFOUND" }), "unreachable"],
      [errors.InvalidArgumentError.format("tls", "is not available on this server"), "invalid-option"],
      [new errors.ConnectionError("server does not support 'tls'"), "tls"],
      [Object.assign(new Error("unable to verify the first certificate"), { code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" }), "tls"],
      [new errors.ConnectionError("x", { cause: Object.assign(new Error("alert"), { code: "ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE" }) }), "tls"],
      [new Error("something else"), "other"],
      ["not an error", "other"],
      [undefined, "other"],
    ];
    for (const [e, kind] of cases) expect([String(e), natsErrorKind(e)]).toEqual([String(e), kind]);
  });

  it("reads no message text: a message that says 'permission' or 'not found' is not one", () => {
    expect(natsErrorKind(new Error('Permissions Violation for Publish to "x"'))).toBe("other");
    expect(natsErrorKind(new Error("stream not found"))).toBe("other");
    expect(natsErrorKind(new Error("Authorization Violation"))).toBe("other");
    expect(natsErrorKind(new errors.ConnectionError("TLS certificate problem"))).toBe("unreachable");
  });

  it("gives up connecting on refusals only: credentials, permissions, TLS, options; retries the rest", () => {
    expect(isRefusal(errors.AuthorizationError.parse("Authorization Violation"))).toBe(true);
    expect(isRefusal(new errors.ConnectionError("server does not support 'tls'"))).toBe(true);
    expect(isRefusal(new errors.ConnectionError("connection refused"))).toBe(false);
    expect(isRefusal(new errors.TimeoutError())).toBe(false);
    expect(isRefusal(new Error("Authorization Violation"))).toBe(false);
  });
});

const bin = natsServerBinary();
if ("skip" in bin) {
  reportSkip("NATS errors from a real server", bin.skip);
} else {
  describe("natsErrorKind on what a real nats-server makes the client throw", () => {
    const USERS = `authorization { users: [
      { user: admin, password: pw-admin },
      { user: node, password: pw-node, permissions: { publish: { allow: ["peerwatch.node.>"] }, subscribe: { allow: ["_INBOX.peerwatch.node.>"] } } }
    ] }`;
    let srv: NatsServer;
    let admin: NatsConnection;
    let node: NatsConnection;
    beforeAll(async () => {
      srv = new NatsServer(bin.path, USERS, true);
      await srv.start();
      admin = await connect({ servers: srv.url, user: "admin", pass: "pw-admin" });
      node = await connect({ servers: srv.url, user: "node", pass: "pw-node", inboxPrefix: "_INBOX.peerwatch.node" });
    });
    afterAll(async () => {
      await node?.close();
      await admin?.close();
      await srv?.dispose();
    });

    it("connecting: wrong password refused, no server unreachable, tls:// to a server without TLS a TLS failure", async () => {
      const bad = await thrown(() => connect({ servers: srv.url, user: "admin", pass: "wrong", reconnect: false }));
      expect(natsErrorKind(bad)).toBe("refused");
      const down = new NatsServer(bin.path);
      await down.start();
      await down.dispose(); // the port is known, nobody listens
      const none = await thrown(() => connect({ servers: down.url, reconnect: false }));
      expect(natsErrorKind(none)).toBe("unreachable");
      const noTls = await thrown(() => connect({ servers: srv.url, user: "admin", pass: "pw-admin", tls: {}, reconnect: false }));
      expect(natsErrorKind(noTls)).toBe("tls");
    });

    it("requests: a subject the user may not publish is a permission violation, a subject nobody serves no responders", async () => {
      expect(natsErrorKind(await thrown(() => node.request("$JS.API.INFO", undefined, { timeout: 2000 })))).toBe("permission");
      expect(natsErrorKind(await thrown(() => admin.request("nobody.serves.this", undefined, { timeout: 2000 })))).toBe("no-responders");
    });

    it("JetStream: publish with no stream, stream and consumer missing, a stream name in use", async () => {
      const js = jetstream(admin);
      expect(natsErrorKind(await thrown(() => js.publish("peerwatch.x.tip.changed", "{}", { timeout: 2000 })))).toBe("no-responders");
      const jsm = await jetstreamManager(admin);
      expect(natsErrorKind(await thrown(() => jsm.streams.info("MISSING")))).toBe("stream-not-found");
      await jsm.streams.add({ name: "ERRS", subjects: ["errs.>"] });
      expect(natsErrorKind(await thrown(() => jsm.consumers.info("ERRS", "missing")))).toBe("consumer-not-found");
      expect(natsErrorKind(await thrown(() => jsm.streams.add({ name: "ERRS", subjects: ["other.>"] })))).toBe("stream-name-in-use");
      const nodeJsm = await jetstreamManager(node, { checkAPI: false });
      expect(natsErrorKind(await thrown(() => nodeJsm.streams.delete("ERRS")))).toBe("permission");
    });

    it("the bus: a least-privilege publisher whose stream does not exist yet says so, retries, and stores once it exists", async () => {
      const out = new PassThrough();
      let text = "";
      out.on("data", (d: Buffer) => (text += d.toString()));
      const log = createLogger({ level: "debug", format: "json", destination: out });
      const settings: NatsConnectSettings = {
        nats: [srv.url],
        natsUser: "node",
        natsPassword: "pw-node",
        natsStreamMaxAge: 3600,
        natsStreamMaxBytes: 1 << 26,
        natsBuffer: 100,
      };
      const bus = new NatsBus(settings, { nodeName: "node", log, stream: { name: "LATE", maxAgeSeconds: 3600, maxBytes: 1 << 26 } });
      try {
        await bus.ready;
        bus.publish(makeEvent("ipc", "node", "tip.changed", { height: 1, hash: "00".repeat(32) }));
        await until(() => /no stream LATE stores peerwatch\.>/.test(text), 10_000);
        expect(text).toMatch(/not allowed to manage JetStream \(least privilege\)/);
        await (await jetstreamManager(admin)).streams.add({ name: "LATE", subjects: ["peerwatch.>"] });
        await until(() => bus.counters().sent === 1, 10_000);
      } finally {
        await bus.close(200);
      }
    });
  });

  const ssl = opensslBinary();
  if ("skip" in ssl) {
    reportSkip("NATS TLS errors", ssl.skip);
  } else {
    describe("natsErrorKind on TLS failures from a real nats-server", () => {
      const dir = fs.mkdtempSync(path.join(fs.realpathSync("/tmp"), "pw-errs-"));
      let srv: NatsServer;
      let c: ReturnType<typeof makeCertificates>;
      beforeAll(async () => {
        c = makeCertificates(dir);
        srv = new NatsServer(bin.path, `tls { cert_file: "${c.serverCert}", key_file: "${c.serverKey}", ca_file: "${c.ca}", verify: true }`);
        await srv.start();
      });
      afterAll(async () => {
        await srv?.dispose();
        fs.rmSync(dir, { recursive: true, force: true });
      });

      it("a server certificate no given CA signed is a TLS failure, and connecting gives up on it", async () => {
        const e = await thrown(() =>
          connect({ servers: srv.url, tls: { caFile: c.clientCert, certFile: c.clientCert, keyFile: c.clientKey }, reconnect: false }),
        );
        expect(natsErrorKind(e)).toBe("tls");
        expect(isRefusal(e)).toBe(true);
      });
    });
  }
}
