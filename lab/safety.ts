// The lab's safety checks. It attacks only a node on this machine (loopback addresses, 127.0.0.0/8
// or ::1) and only a regtest node: getblockchaininfo.chain is read over RPC before the first byte
// goes to the node. Every scenario is also bounded in messages (MAX_MESSAGES_PER_PEER per peer) and
// time (its maxSeconds, enforced by the runner's AbortSignal).
import net from "node:net";

export class LabSafetyError extends Error {
  override name = "LabSafetyError";
}

/** Anything else that stops a lab run (a node that does not start, a recording that does not read). */
export class LabError extends Error {
  override name = "LabError";
}

/** Throws unless `host` is a literal loopback address (names are refused: they may resolve elsewhere). */
export function assertLoopback(host: string): void {
  const h = host.replace(/^\[|\]$/g, "");
  const v = net.isIP(h);
  const loop = (v === 4 && /^127\./.test(h)) || (v === 6 && (h === "::1" || /^::ffff:127\./i.test(h)));
  if (!loop) throw new LabSafetyError(`refusing ${JSON.stringify(host)}: the lab talks only to loopback addresses (127.0.0.0/8, ::1)`);
}

export interface ChainInfoCaller {
  call(method: string, params: readonly unknown[]): Promise<unknown>;
}

/** Throws unless the node says, over RPC, that it runs regtest. */
export async function assertRegtest(rpc: ChainInfoCaller): Promise<void> {
  const info = (await rpc.call("getblockchaininfo", [])) as { chain?: unknown } | null;
  const chain = info && typeof info === "object" ? info.chain : undefined;
  if (chain !== "regtest")
    throw new LabSafetyError(`refusing a node whose getblockchaininfo.chain is ${JSON.stringify(chain)}: the lab attacks regtest nodes only`);
}
