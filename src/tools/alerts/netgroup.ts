// The network group of a peer address, as Bitcoin Core groups peers when it picks outbound peers
// and evicts inbound ones (NetGroupManager::GetGroup, netgroup.cpp): IPv4 /16, IPv6 /32, an AS
// when the node runs with -asmap. Core puts every local address in one group; peerwatch keeps
// 127.a.b.c in its /16 instead, so that several loopback ranges (a lab, a test) stay apart.

/** "a.b/16" for IPv4, "xxxx:xxxx/32" for IPv6, "onion:x" style for overlay networks, or "" when the address says nothing. */
export function netgroup(addr: string, mappedAs?: number | null): string {
  if (mappedAs !== undefined && mappedAs !== null && mappedAs > 0) return `AS${mappedAs}`;
  let g = cache.get(addr);
  if (g === undefined) {
    g = groupOf(addr);
    if (cache.size >= 10_000) cache.clear(); // bounded; peer addresses repeat snapshot after snapshot
    cache.set(addr, g);
  }
  return g;
}

const cache = new Map<string, string>();

function groupOf(addr: string): string {
  const host = hostOf(addr);
  if (host === "") return "";
  const v4 = /^(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}$/.exec(host) ?? /^::ffff:(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}$/i.exec(host);
  if (v4) return `${v4[1]}.${v4[2]}/16`;
  if (host.includes(":")) {
    const parts = expandV6(host);
    return parts === undefined ? host : `${parts[0]}:${parts[1]}/32`;
  }
  // Tor, I2P: Core groups them by the first 4 bits of the address; the first character (5 bits) is close.
  const dot = host.lastIndexOf(".");
  const tld = dot >= 0 ? host.slice(dot + 1) : host;
  return `${tld}:${host[0] ?? ""}`;
}

/** The host part of "host:port", "[v6]:port" or a bare host. */
export function hostOf(addr: string): string {
  if (addr.startsWith("[")) {
    const end = addr.indexOf("]");
    return end > 0 ? addr.slice(1, end).toLowerCase() : "";
  }
  const colons = addr.split(":").length - 1;
  if (colons === 1) return addr.slice(0, addr.indexOf(":")).toLowerCase();
  return addr.toLowerCase(); // bare IPv4/host, or a bare IPv6 address
}

function expandV6(host: string): string[] | undefined {
  const [head, tail, extra] = host.split("::");
  if (extra !== undefined) return undefined;
  const h = head ? head.split(":") : [];
  const t = tail !== undefined && tail !== "" ? tail.split(":") : [];
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  if (fill < 0) return undefined;
  const all = [...h, ...Array<string>(fill).fill("0"), ...t];
  if (all.length !== 8 || all.some((p) => !/^[0-9a-f]{1,4}$/.test(p))) return undefined;
  return all.map((p) => p.replace(/^0+(?=.)/, ""));
}
