// Every lab scenario, in the order the runner plays them (the restart last: it changes the node's
// process, which the eBPF source follows only when restarted itself).
import type { Scenario } from "../scenario.js";
import { addrDrip } from "./addr-drip.js";
import { addrFlood } from "./addr-flood.js";
import { benignHonestPeers } from "./benign-honest-peers.js";
import { benignReorg } from "./benign-reorg.js";
import { benignRestart } from "./benign-restart.js";
import { benignTraffic } from "./benign-traffic.js";
import { blockStall } from "./block-stall.js";
import { connChurn } from "./conn-churn.js";
import { eclipseInbound } from "./eclipse-inbound.js";
import { garbage } from "./garbage.js";
import { invFlood } from "./inv-flood.js";
import { misbehaviour } from "./misbehaviour.js";
import { noVersion } from "./no-version.js";
import { pingFlood } from "./ping-flood.js";
import { silentPeers } from "./silent-peers.js";
import { spyPeer } from "./spy-peer.js";
import { txFlood } from "./tx-flood.js";

export const SCENARIOS: readonly Scenario[] = [
  benignTraffic,
  pingFlood,
  addrFlood,
  invFlood,
  txFlood,
  spyPeer,
  connChurn,
  noVersion,
  silentPeers,
  garbage,
  misbehaviour,
  blockStall,
  eclipseInbound,
  addrDrip,
  benignReorg,
  benignHonestPeers,
  benignRestart,
];
