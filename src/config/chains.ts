// Per-chain facts peerwatch needs: where the node keeps its files and which ports it uses.
// Values from Bitcoin Core's chainparamsbase.cpp / kernel/chainparams.cpp.
export const CHAINS = ["main", "testnet4", "signet", "regtest"] as const;
export type Chain = (typeof CHAINS)[number];

export interface ChainParams {
  /** Subdirectory of the datadir for this chain ("" for mainnet). */
  subdir: string;
  rpcPort: number;
  p2pPort: number;
  /** P2P message-start bytes. */
  magic: Uint8Array;
}

export const CHAIN_PARAMS: Record<Chain, ChainParams> = {
  main: { subdir: "", rpcPort: 8332, p2pPort: 8333, magic: Uint8Array.of(0xf9, 0xbe, 0xb4, 0xd9) },
  testnet4: { subdir: "testnet4", rpcPort: 48332, p2pPort: 48333, magic: Uint8Array.of(0x1c, 0x16, 0x3f, 0x28) },
  // The default signet; a custom -signetchallenge has its own magic (not supported yet).
  signet: { subdir: "signet", rpcPort: 38332, p2pPort: 38333, magic: Uint8Array.of(0x0a, 0x03, 0xcf, 0x40) },
  regtest: { subdir: "regtest", rpcPort: 18443, p2pPort: 18444, magic: Uint8Array.of(0xfa, 0xbf, 0xb5, 0xda) },
};
