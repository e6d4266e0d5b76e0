import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_LISTS_DIR, loadIpLists } from "../../src/iplists/load-lists.js";
import { PrefixTree, addressBytes, hostOf } from "../../src/iplists/prefix-tree.js";

describe("IP lists", () => {
  it("every list in data/iplists parses, and LinkingLion's ranges match", () => {
    const l = loadIpLists(DEFAULT_LISTS_DIR);
    expect(l.errors).toEqual([]);
    expect(l.names).toEqual(expect.arrayContaining(["linkinglion", "banlist", "tor-exits"]));
    expect(l.tree.match("162.218.65.17:8333")).toEqual(["linkinglion"]);
    expect(l.tree.match("[2604:d500:4:1::2]:8333")).toEqual(["linkinglion"]);
    expect(l.tree.match("162.218.66.17:8333")).toEqual([]);
    expect(l.tree.match("vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd.onion:8333")).toEqual([]);
  });

  it("reports a bad line with its file and line, and keeps the rest", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-lists-"));
    fs.writeFileSync(path.join(dir, "mine.txt"), "# comment\n10.0.0.0/8\nnot-an-ip\n10.0.0.0/33\n::ffff:192.0.2.1\n");
    const l = loadIpLists(dir);
    expect(l.errors).toEqual(["mine.txt:3: not an IP range: not-an-ip", "mine.txt:4: bad prefix length in 10.0.0.0/33"]);
    expect(l.tree.match("10.9.8.7:1")).toEqual(["mine"]);
    expect(l.tree.match("192.0.2.1:1")).toEqual(["mine"]); // IPv4-mapped entry matches the IPv4 address
  });

  it("parses addresses and host:port forms", () => {
    expect(Array.from(addressBytes("::1")!)).toEqual([...Array(15).fill(0), 1]);
    expect(Array.from(addressBytes("2001:db8::ff00:42:8329")!)).toEqual([0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0xff, 0, 0, 0x42, 0x83, 0x29]);
    expect(addressBytes("::ffff:1.2.3.4")).toEqual(Uint8Array.of(1, 2, 3, 4));
    expect(addressBytes("nope")).toBeUndefined();
    expect(hostOf("[2001:db8::1]:8333")).toBe("2001:db8::1");
    expect(hostOf("1.2.3.4:8333")).toBe("1.2.3.4");
    expect(hostOf("2001:db8::1")).toBe("2001:db8::1");
  });

  it("agrees with a linear scan on random addresses and ranges", () => {
    let seed = 42;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const ranges: [number, number, string][] = [];
    const tree = new PrefixTree();
    for (let i = 0; i < 300; i++) {
      const len = 8 + rnd(25);
      const ip = ((rnd(256) << 24) >>> 0) | (rnd(256) << 16) | (rnd(256) << 8) | rnd(256);
      const net = len === 32 ? ip : (ip & ~((1 << (32 - len)) - 1)) >>> 0;
      const list = `l${rnd(5)}`;
      ranges.push([net, len, list]);
      tree.add(`${net >>> 24}.${(net >> 16) & 255}.${(net >> 8) & 255}.${net & 255}/${len}`, list);
    }
    for (let i = 0; i < 3000; i++) {
      // half the probes inside some range
      const base = i % 2 ? ranges[rnd(ranges.length)]![0] + rnd(256) : ((rnd(256) << 24) >>> 0) | (rnd(65536) << 8) | rnd(256);
      const ip = base >>> 0;
      const text = `${ip >>> 24}.${(ip >> 16) & 255}.${(ip >> 8) & 255}.${ip & 255}`;
      const linear = [...new Set(ranges.filter(([n, len]) => (len === 0 ? true : (ip ^ n) >>> (32 - len) === 0)).map((r) => r[2]))].sort();
      expect(tree.match(`${text}:8333`).sort(), text).toEqual(linear);
    }
  });
});
