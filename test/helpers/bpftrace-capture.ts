// Payloads from the real bpftrace capture (test/fixtures/regtest-capture/bpftrace.tsv), whose
// buffers are printed with %rx (every byte as \xNN).
import fs from "node:fs";
import { captureFile } from "./capture.js";

export function rxToBytes(rx: string): Buffer {
  return Buffer.from(rx.replace(/\\x/g, ""), "hex");
}

/** The captured payloads of one message type in one direction, with their true sizes. */
export function capturedPayloads(direction: "in" | "out", msgType: string): { size: number; payload: Buffer }[] {
  return fs
    .readFileSync(captureFile("bpftrace.tsv"), "utf8")
    .split("\n")
    .map((l) => l.split("\t"))
    .filter((f) => f[0] === "msg" && f[1] === direction && f[5] === msgType)
    .map((f) => ({ size: Number(f[6]), payload: rxToBytes(f[7] ?? "") }));
}
