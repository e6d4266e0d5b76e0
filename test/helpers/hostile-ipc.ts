// A hostile "node" on a unix socket: answers whatever peerwatch sends with raw Cap'n Proto frames
// crafted to break a client (the cases of issue 16), built with capnp-es and then patched word by word.
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Message } from "capnp-es";
import { CapDescriptor, Exception, Message as RpcMessage } from "capnp-es/capnp/rpc";
import { Init } from "../../src/ipc/generated/init.js";

const frameOf = (m: Message): ArrayBuffer => m.toArrayBuffer();

/** Replaces the first word of the frame equal to (lo, hi) by (newLo, newHi). */
function patchWord(frame: ArrayBuffer, match: (lo: number, hi: number) => boolean, lo: number, hi: number): ArrayBuffer {
  const dv = new DataView(frame);
  for (let at = 0; at + 8 <= frame.byteLength; at += 8) {
    if (match(dv.getUint32(at, true), dv.getUint32(at + 4, true))) {
      dv.setUint32(at, lo >>> 0, true);
      dv.setUint32(at + 4, hi >>> 0, true);
      return frame;
    }
  }
  throw new Error("word to patch not found");
}

/** The node asks peerwatch for its bootstrap interface (peerwatch hosts none). */
export function bootstrapFrame(): ArrayBuffer {
  const m = new Message();
  m.initRoot(RpcMessage)._initBootstrap().questionId = 7;
  return frameOf(m);
}

/** A call to an export peerwatch never made (id 99), of a known interface and method. */
export function callUnknownExportFrame(): ArrayBuffer {
  const m = new Message();
  const call = m.initRoot(RpcMessage)._initCall();
  call.questionId = 5;
  call.interfaceId = BigInt(`0x${Init._capnp.id}`);
  call.methodId = 0;
  call._initTarget().importedCap = 99;
  call._initParams();
  return frameOf(m);
}

/** A Return to peerwatch's bootstrap question whose capTable claims `entries` empty entries. */
export function hugeCapTableReturnFrame(entries: number): ArrayBuffer {
  const m = new Message();
  const ret = m.initRoot(RpcMessage)._initReturn();
  ret.answerId = 0;
  const results = ret._initResults();
  results._initCapTable(1).get(0).none = undefined as never;
  // The composite list's tag: 1 element of 1 data + 1 pointer words; becomes `entries` of 0 words.
  return patchWord(frameOf(m), (lo, hi) => lo === 1 << 2 && hi === (1 | (1 << 16)), entries << 2, 0);
}

/** A Call of an unknown interface whose params hold a struct whose only pointer points at itself. */
export function pointerCycleFrame(): ArrayBuffer {
  const text = new Message();
  const exc = text.initRoot(Exception);
  exc.reason = "CYCLEMARK";
  const m = new Message();
  const call = m.initRoot(RpcMessage)._initCall();
  call.questionId = 3;
  call.interfaceId = 0x1234n;
  call._initTarget().importedCap = 0;
  call._initParams().content = exc as never;
  // The text pointer ("CYCLEMARK\0", 10 bytes) becomes a struct of one pointer: itself (offset −1).
  return patchWord(frameOf(m), (lo, hi) => (lo & 3) === 1 && hi === ((10 << 3) | 2), -1 << 2, 1 << 16);
}

export class HostileNode {
  readonly socket = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pw-hostile-")), "node.sock");
  connections = 0;
  private server: net.Server | undefined;
  private readonly open = new Set<net.Socket>();

  /** On each connection, once peerwatch has sent something, writes `frames()`. */
  constructor(private readonly frames: () => ArrayBuffer[]) {}

  async start(): Promise<void> {
    this.server = net.createServer((s) => {
      this.connections++;
      this.open.add(s);
      s.on("close", () => this.open.delete(s));
      s.on("error", () => {});
      s.once("data", () => {
        for (const f of this.frames()) s.write(Buffer.from(f));
      });
    });
    await new Promise<void>((r) => this.server!.listen(this.socket, r));
  }

  async stop(): Promise<void> {
    for (const s of this.open) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

export const unusedCapDescriptor = CapDescriptor;
