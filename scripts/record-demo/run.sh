#!/usr/bin/env bash
# Records the demo: a real regtest bitcoin-node (A) with two bitcoind peers (B, C) on loopback,
# watched by peerwatch with every source at once (IPC, eBPF, RPC, P2P pinger, /proc, debug.log), while a
# scripted timeline mines blocks, sends and fee-bumps wallet transactions, submits two transactions
# the node rejects, and a scripted peer floods A with pings until peerwatch raises `ping-spam`.
# See data/README.md for what comes out and why each step is there.
#
#   BITCOIN_NODE=... BITCOIND=... BITCOIN_CLI=... scripts/record-demo/run.sh
#
# Run as root (eBPF). Needs `npm run build` first, bpftrace and curl. Environment:
#   BITCOIN_NODE  multiprocess bitcoin-node (node A, IPC), built with -DWITH_USDT=ON and the wallet
#   BITCOIND      bitcoind for the peers B and C (defaults to BITCOIN_NODE)
#   BITCOIN_CLI   bitcoin-cli
#   OUT           where the recording goes (default: data/ of this repository)
#   WORK          scratch directory for datadirs and logs (default: a new mktemp -d)
#   PORT_BASE     first of the loopback ports used (default 29400; uses +0 … +31)
#   FLOOD_PINGS, FLOOD_RATE  the ping flood (default 600 pings at 20/s)
#   FIXTURE_LOG   if set, also writes node A's debug.log there (paths replaced by <datadir>)
set -euo pipefail

: "${BITCOIN_NODE:?set BITCOIN_NODE to the multiprocess bitcoin-node}"
: "${BITCOIN_CLI:?set BITCOIN_CLI to bitcoin-cli}"
BITCOIND=${BITCOIND:-$BITCOIN_NODE}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-$REPO/data}
WORK=${WORK:-$(mktemp -d -t peerwatch-demo.XXXXXX)}
PORT_BASE=${PORT_BASE:-29400}
FLOOD_PINGS=${FLOOD_PINGS:-600}
FLOOD_RATE=${FLOOD_RATE:-20}
NAME=regtest-demo
EVENTS=$WORK/$NAME.ndjson
METRICS_PORT=$((PORT_BASE + 30))

[ -f "$REPO/dist/cli/main.js" ] || { echo "run 'npm run build' first" >&2; exit 2; }
for tool in curl bpftrace gzip; do command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 2; }; done

# node letter -> P2P port, RPC port
p2p_port() { case $1 in a) echo $((PORT_BASE + 0));; b) echo $((PORT_BASE + 10));; c) echo $((PORT_BASE + 20));; esac; }
rpc_port() { echo $(($(p2p_port "$1") + 1)); }
cli() { local n=$1; shift; "$BITCOIN_CLI" -datadir="$WORK/$n" -regtest -rpcport="$(rpc_port "$n")" "$@"; }
# jget <js expression on v>: reads JSON on stdin and prints one value (node is there anyway; jq may not be).
jget() { node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>{const v=JSON.parse(s);console.log(eval(process.argv[1]))})' "$1"; }
say() { printf '%s [record-demo] %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$WORK/timeline.log" >&2; }

PIDS=()
cleanup() {
  for n in a b c; do cli "$n" stop >/dev/null 2>&1 || true; done
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

start_node() { # letter binary extra-args...
  local n=$1 bin=$2; shift 2
  mkdir -p "$WORK/$n"
  "$bin" -regtest -datadir="$WORK/$n" -server -listen=1 -bind=127.0.0.1 -port="$(p2p_port "$n")" \
    -rpcport="$(rpc_port "$n")" -dnsseed=0 -fixedseeds=0 -listenonion=0 -discover=0 -printtoconsole=0 \
    -fallbackfee=0.0002 "$@" &
  PIDS+=($!)
  cli "$n" -rpcwait -rpcwaittimeout=60 getblockchaininfo >/dev/null
}

say "work dir $WORK"
"$BITCOIN_NODE" -version | head -1 | tee "$WORK/node-version.txt" >&2
start_node a "$BITCOIN_NODE" -ipcbind=unix -debug=net -debug=mempool -debug=mempoolrej -debug=validation \
  -logthreadnames -logtimemicros
start_node b "$BITCOIND"
start_node c "$BITCOIND"

# Setup (not recorded): wallets, coins for A and C, everybody connected and in sync.
for n in a c; do cli "$n" -named createwallet wallet_name="$n" >/dev/null; done
A_ADDR=$(cli a -rpcwallet=a getnewaddress)
C_ADDR=$(cli c -rpcwallet=c getnewaddress)
cli a generatetoaddress 10 "$C_ADDR" >/dev/null
cli a generatetoaddress 101 "$A_ADDR" >/dev/null
cli a addnode "127.0.0.1:$(p2p_port b)" add   # A -> B: outbound (manual)
cli c addnode "127.0.0.1:$(p2p_port a)" onetry # C -> A: inbound at A
for _ in $(seq 60); do
  [ "$(cli b getblockcount)" = 111 ] && [ "$(cli c getblockcount)" = 111 ] && break
  sleep 1
done
[ "$(cli c getblockcount)" = 111 ] || { echo "peers did not sync" >&2; exit 1; }
say "setup done: 111 blocks, A has $(cli a getconnectioncount) peers"

# peerwatch, every source. The pinger pings every 5 s: at 2 s (30 a minute) peerwatch's own pinger
# would itself cross the ping-spam threshold (20 a minute) and muddle the demo's one real alert.
node "$REPO/bin/peerwatch.js" observe --chain regtest --datadir "$WORK/a" --node-name "$NAME" \
  --sources ipc,ebpf,rpc,p2p,proc,log --log-state off --bitcoin-node-bin "$BITCOIN_NODE" \
  --rpc-url "http://127.0.0.1:$(rpc_port a)" --p2p "127.0.0.1:$(p2p_port a)" \
  --rpc-interval 2 --proc-interval 2 --ping-interval 5 \
  --events "$EVENTS" --metrics "127.0.0.1:$METRICS_PORT" --log-format json 2>"$WORK/peerwatch.log" &
PW=$!
PIDS+=($PW)
for _ in $(seq 90); do
  up=$(grep -c '"type":"source.status".*"state":"up"' "$EVENTS" 2>/dev/null || true)
  [ "${up:-0}" -ge 6 ] && break
  sleep 1
done
say "peerwatch up ($(grep -o '"source":"[a-z]*","state":"up"' "$EVENTS" | sort -u | tr '\n' ' '))"
sleep 5

# The recorded timeline (~4 minutes).
say "mine 1 block on A"; cli a generatetoaddress 1 "$A_ADDR" >/dev/null; sleep 10

TXS=()
for amount in 1 2 3; do
  TXS+=("$(cli a -rpcwallet=a -named sendtoaddress address="$(cli a -rpcwallet=a getnewaddress)" amount=$amount replaceable=true fee_rate=2)")
  say "A sends $amount BTC: ${TXS[-1]}"; sleep 5
done
say "C sends 2 BTC to A (relayed to A over P2P): $(cli c -rpcwallet=c -named sendtoaddress address="$A_ADDR" amount=2 fee_rate=3)"
sleep 10
say "bumpfee ${TXS[0]}: $(cli a -rpcwallet=a bumpfee "${TXS[0]}" '{"fee_rate":10}' | tr -d ' \n')"
sleep 10

# Rejection 1: a double spend of TXS[1]'s input paying less fee than TXS[1] (RBF rule: insufficient fee).
TX1=$(cli a -rpcwallet=a gettransaction "${TXS[1]}" | jget v.hex | cli a -stdin decoderawtransaction)
IN_TXID=$(jget 'v.vin[0].txid' <<<"$TX1")
IN_VOUT=$(jget 'v.vin[0].vout' <<<"$TX1")
# input value minus 150 sat: less than TXS[1] paid (2 sat/vB, ~280 sat), more than the min relay fee
DS_AMOUNT=$(cli a gettxout "$IN_TXID" "$IN_VOUT" false | jget '((Math.round(v.value * 1e8) - 150) / 1e8).toFixed(8)')
DS=$(cli a createrawtransaction "[{\"txid\":\"$IN_TXID\",\"vout\":$IN_VOUT}]" "[{\"$(cli a -rpcwallet=a getnewaddress)\":$DS_AMOUNT}]")
DS=$(cli a -rpcwallet=a signrawtransactionwithwallet "$DS" | jget v.hex)
say "double spend of ${TXS[1]} with a lower fee: $(cli a sendrawtransaction "$DS" 2>&1 | tr '\n' ' ')"
sleep 5

# Rejection 2: a transaction paying no fee at all (min relay fee not met).
U=$(cli a -rpcwallet=a listunspent 1 | jget '`${v[0].txid} ${v[0].vout} ${v[0].amount.toFixed(8)}`')
read -r U_TXID U_VOUT U_AMOUNT <<<"$U"
ZF=$(cli a createrawtransaction "[{\"txid\":\"$U_TXID\",\"vout\":$U_VOUT}]" "[{\"$(cli a -rpcwallet=a getnewaddress)\":$U_AMOUNT}]")
ZF=$(cli a -rpcwallet=a signrawtransactionwithwallet "$ZF" | jget v.hex)
say "zero-fee transaction: $(cli a sendrawtransaction "$ZF" 2>&1 | tr '\n' ' ')"
sleep 10

say "mine 1 block on B (reaches A over P2P, confirms the mempool)"; cli b generatetoaddress 1 "$A_ADDR" >/dev/null
sleep 15

say "flood peer: $FLOOD_PINGS pings at $FLOOD_RATE/s"
node "$REPO/scripts/record-demo/flood-peer.mjs" --target "127.0.0.1:$(p2p_port a)" --pings "$FLOOD_PINGS" --rate "$FLOOD_RATE" \
  | tee -a "$WORK/timeline.log" >&2
sleep 10

say "C disconnects from A and reconnects"
cli c disconnectnode "127.0.0.1:$(p2p_port a)"; sleep 10
cli c addnode "127.0.0.1:$(p2p_port a)" onetry; sleep 10

T=$(cli a -rpcwallet=a -named sendtoaddress address="$(cli a -rpcwallet=a getnewaddress)" amount=4 replaceable=true fee_rate=2)
say "A sends 4 BTC: $T"; sleep 10
say "bumpfee $T: $(cli a -rpcwallet=a bumpfee "$T" '{"fee_rate":20}' | tr -d ' \n')"; sleep 10
say "mine 1 block on A"; cli a generatetoaddress 1 "$A_ADDR" >/dev/null
sleep 20

# The live run's counters, scraped before peerwatch stops: a replay at max speed must match them.
curl -fsS "http://127.0.0.1:$METRICS_PORT/metrics" >"$WORK/$NAME.metrics.txt"
say "metrics scraped; stopping peerwatch"
kill -INT "$PW"; wait "$PW" || true

# Paths of this machine never go into the recording: the datadir and the binary become placeholders.
mkdir -p "$OUT"
sed -e "s#$WORK/a#<datadir>#g" -e "s#$BITCOIN_NODE#bitcoin-node#g" "$EVENTS" | gzip -9n >"$OUT/$NAME.ndjson.gz"
sed -e "s#$WORK/a#<datadir>#g" "$WORK/$NAME.metrics.txt" >"$OUT/$NAME.metrics.txt"
if [ -n "${FIXTURE_LOG:-}" ]; then
  mkdir -p "$(dirname "$FIXTURE_LOG")"
  sed -e "s#$WORK/a#<datadir>#g" -e "s#$WORK#<workdir>#g" "$WORK/a/regtest/debug.log" >"$FIXTURE_LOG"
fi
say "wrote $OUT/$NAME.ndjson.gz ($(stat -c %s "$OUT/$NAME.ndjson.gz") bytes) and $OUT/$NAME.metrics.txt"
