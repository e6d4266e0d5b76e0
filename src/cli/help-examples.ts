// The "Examples:" block of each command's --help: real command lines a newcomer can paste.
// test/cli/help-examples.test.ts parses every one of them against the command's flags.

export const EXAMPLES: Record<string, readonly string[]> = {
  observe: [
    "peerwatch observe                                   # every source found for ~/.bitcoin (mainnet); a demo replay when none is",
    "peerwatch observe --chain regtest --datadir /srv/btc --web 127.0.0.1:9433   # a regtest node, with the live page",
    "peerwatch observe --sources ipc,rpc --events /var/log/peerwatch/events.ndjson.gz --events-max-bytes 100000000",
  ],
  replay: [
    "peerwatch replay data/regtest-demo.ndjson.gz --web 127.0.0.1:9433   # the shipped recording, at its recorded pace",
    "peerwatch replay events.ndjson.gz --speed max --metrics 127.0.0.1:9432 --linger 600   # as fast as possible, then keep /metrics up",
    "peerwatch replay --nats nats://127.0.0.1:4222 --from-stream PEERWATCH --since 3600   # the last hour of a JetStream stream",
  ],
  compare: [
    "peerwatch compare --chain regtest --duration 60   # run every source side by side for a minute on a regtest node",
    "peerwatch compare live.ndjson.gz --markdown report.md   # the report of a recording, also as markdown",
    "peerwatch compare --sources ipc,ebpf --json   # IPC tracing against eBPF, as one JSON object",
  ],
  export: [
    "peerwatch export node.pwb.gz.1 node.pwb.gz > node.ndjson   # a binary recording (rotated: oldest first) as NDJSON",
    "peerwatch export node.pwb --out node.ndjson.gz   # written gzip",
  ],
  tools: [
    "peerwatch tools --nats nats://127.0.0.1:4222   # metrics, alerts and the fleet view for every node publishing there",
    "peerwatch tools --nats nats://127.0.0.1:4222 --nodes alice --web 127.0.0.1:9433   # one node, with the live page",
    "peerwatch tools --nats tls://nats.example:4222 --nats-creds /etc/peerwatch/tools.creds --nats-stream PEERWATCH --nats-durable tools",
  ],
};

/** The text after a command's flags in --help ("" when it has no examples). */
export function examplesHelp(command: string): string {
  const list = EXAMPLES[command];
  return list?.length ? `\nExamples:\n${list.map((e) => `  ${e}`).join("\n")}` : "";
}
