// A hostile node (or anything at the socket path) writes one crafted message: peerwatch drops or
// answers it on that connection only; nothing escapes as an unhandled rejection, a hang or a
// blow-up of memory (vitest fails a run on any unhandled rejection).
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Message } from "capnp-es";
import { Message as RpcMessage } from "capnp-es/capnp/rpc";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SocketTransport } from "../../src/ipc/socket-transport.js";
import { IpcSession } from "../../src/ipc/session.js";
import { runCli } from "../helpers/cli.js";
import { HostileNode, bootstrapFrame, callUnknownExportFrame, hugeCapTableReturnFrame, pointerCycleFrame } from "../helpers/hostile-ipc.js";

let node: HostileNode | undefined;
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown): void => void unhandled.push(e);
beforeEach(() => {
  unhandled.length = 0;
  process.on("unhandledRejection", onUnhandled);
});
afterEach(async () => {
  await node?.stop();
  process.off("unhandledRejection", onUnhandled);
  expect(unhandled).toEqual([]);
});

async function sessionAgainst(frames: () => ArrayBuffer[]): Promise<IpcSession> {
  node = new HostileNode(frames);
  await node.start();
  return IpcSession.connect(node.socket, { maxMessageBytes: 1 << 26, callTimeoutMs: 2000 });
}

describe("IPC against a hostile node", () => {
  it("drops a Return whose capTable claims 536,870,911 entries, without allocating them", async () => {
    const s = await sessionAgainst(() => [hugeCapTableReturnFrame(536_870_911)]);
    const before = process.memoryUsage().rss;
    const reason = await s.ended;
    expect(reason).toMatchObject({ kind: "malformed", detail: expect.stringMatching(/traversal exceeds/) });
    expect(process.memoryUsage().rss - before).toBeLessThan(200 << 20);
  });

  it("drops a Return with 8.4M empty capTable entries at once", async () => {
    const s = await sessionAgainst(() => [hugeCapTableReturnFrame(8_400_000)]);
    const t0 = Date.now();
    expect(await s.ended).toMatchObject({ kind: "malformed", detail: expect.stringMatching(/traversal exceeds/) });
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it("drops a message with a pointer cycle instead of copying it forever", async () => {
    const s = await sessionAgainst(() => [pointerCycleFrame()]);
    // Every hop of a cycle is one level deeper: the nesting bound ends it.
    expect(await s.ended).toMatchObject({ kind: "malformed", detail: expect.stringMatching(/nests deeper than 64 levels/) });
  });

  it("answers a Bootstrap from the node with an exception and keeps the connection", async () => {
    const s = await sessionAgainst(() => [bootstrapFrame()]);
    await new Promise((r) => setTimeout(r, 300));
    expect(s.isClosed).toBe(false);
    s.close();
  });

  it("answers a Call to an unknown export with an exception and keeps the connection", async () => {
    const s = await sessionAgainst(() => [callUnknownExportFrame()]);
    await new Promise((r) => setTimeout(r, 300));
    expect(s.isClosed).toBe(false);
    s.close();
  });
});

describe("peerwatch observe against a hostile node", () => {
  it("survives every crafted message, reports why, reconnects and exits 0 at --duration", async () => {
    // Each connection: a Bootstrap and a Call peerwatch must answer, then one message it must drop.
    const fatal = [() => hugeCapTableReturnFrame(536_870_911), pointerCycleFrame, () => hugeCapTableReturnFrame(8_400_000)];
    let n = 0;
    node = new HostileNode(() => [bootstrapFrame(), callUnknownExportFrame(), (fatal[n++ % fatal.length] as () => ArrayBuffer)()]);
    await node.start();
    const r = await runCli(["observe", "--sources", "ipc", "--ipc-socket", node.socket, "--events", "-", "--metrics", "off", "--duration", "4"]);
    expect(r.code, r.stderr).toBe(0);
    const details = r.events.filter((e) => e.type === "source.status" && e.data.state === "down").map((e) => (e.data as { detail: string }).detail);
    expect(details, JSON.stringify(details)).toContainEqual(expect.stringMatching(/traversal exceeds/));
    expect(details, JSON.stringify(details)).toContainEqual(expect.stringMatching(/nests deeper/));
    expect(node.connections).toBeGreaterThanOrEqual(3);
    expect(r.stderr).not.toMatch(/unhandled|MaxListeners|Warning/i);
  });
});

describe("a valid message and a bad header in one read", () => {
  it("delivers the message, then ends the connection with the framing error", async () => {
    const m = new Message();
    m.initRoot(RpcMessage)._initFinish().questionId = 77;
    const bad = Buffer.alloc(8);
    bad.writeUInt32LE(100_000, 0); // 100,001 segments
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-frames-"));
    const server = net.createServer((s) => s.end(Buffer.concat([Buffer.from(m.toArrayBuffer()), bad])));
    await new Promise<void>((r) => server.listen(path.join(dir, "s"), r));
    const socket = net.createConnection({ path: path.join(dir, "s") });
    const t = new SocketTransport(socket, 1 << 20);
    const closed = new Promise((r) => (t.onClose = r));
    const first = await t.recvMessage();
    expect(first.finish.questionId).toBe(77);
    await expect(t.recvMessage()).rejects.toBeUndefined();
    expect(await closed).toMatchObject({ kind: "malformed", detail: expect.stringMatching(/100001 segments/) });
    server.close();
  });
});
