// CIDR matching with a binary trie over address bits: a lookup walks at most 32 (IPv4) or 128
// (IPv6) nodes, whatever the size of the lists, instead of scanning every range.
import net from "node:net";

interface Node {
  zero?: Node;
  one?: Node;
  /** Lists whose range ends at this node. */
  lists?: string[];
}

/** A line of an IP list that is not an address or CIDR range. */
export class IpRangeError extends Error {
  override name = "IpRangeError";
}

/** Address bytes for an IPv4 or IPv6 text address; IPv4-mapped IPv6 becomes IPv4. */
export function addressBytes(ip: string): Uint8Array | undefined {
  const v = net.isIP(ip);
  if (v === 4) return Uint8Array.from(ip.split(".").map(Number));
  if (v !== 6) return undefined;
  const [head, tail = ""] = ip.split("::") as [string, string?];
  const parse = (s: string) => (s ? s.split(":") : []);
  let h = parse(head);
  let t = parse(tail);
  const last = (t.length ? t : h).at(-1);
  const v4 = last?.includes(".") ? last : undefined;
  if (v4) {
    if (t.length) t = t.slice(0, -1);
    else h = h.slice(0, -1);
  }
  const groups = 8 - (v4 ? 2 : 0);
  const fill = ip.includes("::") ? groups - h.length - t.length : 0;
  const words = [...h, ...Array(fill).fill("0"), ...t].map((x) => parseInt(x, 16));
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  if (v4) out.set(v4.split(".").map(Number), 12);
  const mapped = out.subarray(0, 10).every((b) => b === 0) && out[10] === 0xff && out[11] === 0xff;
  return mapped ? out.subarray(12) : out;
}

/** The host part of a getpeerinfo/tracepoint address: "1.2.3.4:8333", "[2001:db8::1]:8333". */
export function hostOf(addr: string): string {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(addr);
  if (m) return m[1] as string;
  const i = addr.lastIndexOf(":");
  return i > 0 && addr.indexOf(":") === i ? addr.slice(0, i) : addr;
}

export class PrefixTree {
  private readonly v4: Node = {};
  private readonly v6: Node = {};
  size = 0;

  /** Adds "a.b.c.d/n" or "x::/n" (or a bare address) to list `list`. Throws on a malformed range. */
  add(cidr: string, list: string): void {
    const [ip, lenText] = cidr.split("/") as [string, string?];
    const bytes = addressBytes(ip);
    if (!bytes) throw new IpRangeError(`not an IP range: ${cidr}`);
    const bits = bytes.length * 8;
    const len = lenText === undefined ? bits : Number(lenText);
    if (!Number.isInteger(len) || len < 0 || len > bits) throw new IpRangeError(`bad prefix length in ${cidr}`);
    let node = bytes.length === 4 ? this.v4 : this.v6;
    for (let i = 0; i < len; i++) {
      const bit = ((bytes[i >> 3] as number) >> (7 - (i & 7))) & 1;
      const next = bit ? (node.one ??= {}) : (node.zero ??= {});
      node = next;
    }
    (node.lists ??= []).includes(list) || node.lists.push(list);
    this.size++;
  }

  /** Every list with a range containing the address (host or host:port). */
  match(addr: string): string[] {
    const bytes = addressBytes(hostOf(addr));
    if (!bytes) return []; // onion, i2p, cjdns-as-text …: not IP ranges
    let node: Node | undefined = bytes.length === 4 ? this.v4 : this.v6;
    const found = new Set<string>();
    for (let i = 0; node; i++) {
      for (const l of node.lists ?? []) found.add(l);
      if (i === bytes.length * 8) break;
      const bit = ((bytes[i >> 3] as number) >> (7 - (i & 7))) & 1;
      node = bit ? node.one : node.zero;
    }
    return [...found];
  }
}
