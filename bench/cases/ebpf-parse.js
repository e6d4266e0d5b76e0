// eBPF line parsing: peerwatch's parser vs JSON.parse of the same events as NDJSON.
import fs from "node:fs";
import path from "node:path";
import { compare, dist, report, root } from "../lib.js";

export async function run() {
  const { parseLine } = await dist("ebpf/line-parser.js");
  const recorded = fs
    .readFileSync(path.join(root, "test/ebpf/recorded/fixture-all.txt"), "utf8")
    .split("\n")
    .filter((l) => /^[A-Z]\t/.test(l));
  const lines = Array.from({ length: 50_000 }, (_, i) => recorded[i % recorded.length]);
  const ndjson = lines.map((l) => JSON.stringify(parseLine(l, 64)));
  const med = await compare({
    "parseLine (hex fields, decode, validate)": () => {
      for (const l of lines) parseLine(l, 64);
    },
    "JSON.parse of the same events": () => {
      for (const l of ndjson) JSON.parse(l);
    },
  });
  report("eBPF: 50,000 bpftrace lines (bpftrace itself delivers ~79,000 lines/s here)", med, "JSON.parse of the same events", lines.length, "lines");
}
