// IP lists: peerwatch's prefix tree vs Node's net.BlockList (one per list, as it only answers
// yes/no), 3 lists of 2,000 ranges each (IPv4 and IPv6, like cloud-provider lists), 20,000 lookups.
// The prefix tree stays only while it wins.
import net from "node:net";
import { compare, dist, report } from "../lib.js";

export async function run() {
  const { PrefixTree, hostOf } = await dist("iplists/prefix-tree.js");
  let seed = 7;
  const rnd = (n) => (seed = (seed * 1103515245 + 12345) >>> 0) % n;
  const v4 = () => `${rnd(223) + 1}.${rnd(256)}.${rnd(256)}.${rnd(256)}`;
  const v6 = () => `2001:db8:${rnd(65536).toString(16)}:${rnd(65536).toString(16)}::${rnd(65536).toString(16)}`;
  const lists = ["cloud-a", "cloud-b", "tor-exits"].map((name) => ({
    name,
    ranges: Array.from({ length: 2000 }, (_, i) => (i % 4 === 3 ? [v6(), 32 + rnd(33)] : [v4(), 8 + rnd(25)])),
  }));
  const tree = new PrefixTree();
  const blocks = lists.map(({ name, ranges }) => {
    const bl = new net.BlockList();
    for (const [ip, len] of ranges) {
      tree.add(`${ip}/${len}`, name);
      bl.addSubnet(ip, len, ip.includes(":") ? "ipv6" : "ipv4");
    }
    return { name, bl };
  });
  const addrs = Array.from({ length: 20_000 }, (_, i) => (i % 4 === 3 ? `[${v6()}]:8333` : `${v4()}:8333`));
  const viaBlockList = (addr) => {
    const host = hostOf(addr);
    const family = net.isIP(host) === 6 ? "ipv6" : "ipv4";
    return blocks.filter((b) => b.bl.check(host, family)).map((b) => b.name);
  };
  for (const a of addrs.slice(0, 2000)) {
    if (tree.match(a).sort().join() !== viaBlockList(a).sort().join()) throw new Error(`prefix tree and BlockList disagree on ${a}`);
  }
  let hits = 0;
  const med = await compare(
    {
      "PrefixTree (peerwatch)": () => {
        for (const a of addrs) hits += tree.match(a).length;
      },
      "net.BlockList, one per list": () => {
        for (const a of addrs) hits += viaBlockList(a).length;
      },
    },
    5,
  );
  report("IP lists: 20,000 lookups in 3 lists of 2,000 ranges", med, "PrefixTree (peerwatch)", addrs.length, "lookups");
  if (hits < 0) console.log(hits);
}
