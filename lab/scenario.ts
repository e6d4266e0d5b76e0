// What a lab scenario is: a named, bounded run against the node, an attack or a benign run, with
// what it imitates and which alerts count as detecting it. The runner gives it a context (target,
// RPC, source addresses, a deadline) and records what it did (first message time, counts).
import type { AdversaryPeer, PeerTarget } from "./adversary/peer.js";
import type { LabNode } from "./node.js";

export interface ScenarioContext {
  target: PeerTarget;
  /** The watched node (RPC: tip, mining, raw transactions). */
  node: LabNode;
  /** Fires at the scenario's maxSeconds: every peer closes and the scenario must return. */
  signal: AbortSignal;
  /** Source addresses of this scenario's range: the n-th address of 127.<a>.<b>.0/24 (1…254). */
  address(i: number, range?: number): string;
  /** Extra nodes for benign runs (honest peers, a reorg); ports from the lab's range. */
  extraNode(i: number, extraArgs?: string[]): LabNode;
  /** Restarts the watched node (benign restart run). */
  restartNode(): Promise<void>;
  /** Coins the lab can spend (P2WSH OP_TRUE coinbase outputs, mature). */
  takeCoin(): { txid: string; vout: number; value: bigint };
  log(msg: string): void;
  /** Connects an adversary and remembers it (its first byte marks the attack's start). */
  connect(local: string): Promise<AdversaryPeer>;
  sleep(ms: number): Promise<void>;
}

export interface ScenarioOutcome {
  /** Messages (or raw writes) the adversaries sent. */
  messages: number;
  connections: number;
  notes?: string;
}

export interface Scenario {
  name: string;
  kind: "attack" | "benign";
  /** One sentence: what the scenario does. */
  summary: string;
  /** What it imitates: a Bitcoin Core constant, a published incident, a paper. */
  imitates: string;
  /**
   * Alerts that count as detecting this attack (the first one raised after the attack's first
   * message). Names not raised by any detector yet are issue 20's to make (see expected-misses.json).
   */
  detectWith: string[];
  /** The alert must come this soon after the attack's first message (issue 20: 30 s). */
  maxLatencySeconds: number;
  /** Hard bound of the run; the runner aborts it then. */
  maxSeconds: number;
  /** Node flags this scenario relies on (the runner starts the node with all of them). */
  nodeFlags?: string[];
  run(ctx: ScenarioContext): Promise<ScenarioOutcome>;
}

export const DEFAULT_LATENCY_SECONDS = 30;

/** Runs `fn(i)` for i in [0, n) with at most `width` at a time. */
export async function inParallel(n: number, width: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(width, n) }, worker));
}
