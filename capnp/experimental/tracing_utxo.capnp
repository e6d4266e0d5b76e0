# EXPERIMENTAL, patched nodes only: the UTXO-cache tracing proof of concept of Bitcoin Core
# PR 32898 (closed). On that branch Init.makeTracing is @3 and makeMining @2. peerwatch ships the
# schema so the wire format is pinned down; it does not consume this interface yet.
@0xfcbbd3f49874128e;

using Proxy = import "/mp/proxy.capnp";
using Handler = import "handler.capnp";

interface Tracing {
  traceUtxoCache @0 (context :Proxy.Context, callback :UtxoCacheTrace) -> (result :Handler.Handler);
}

interface UtxoCacheTrace {
  destroy @0 (context :Proxy.Context) -> ();
  add @1 (utxoInfo :UtxoInfo) -> ();
  spend @2 (utxoInfo :UtxoInfo) -> ();
  uncache @3 (utxoInfo :UtxoInfo) -> ();
}

struct UtxoInfo {
  outpointHash @0 :Data;
  outpointN @1 :UInt32;
  height @2 :UInt32;
  value @3 :Int64;
  isCoinbase @4 :Bool;
}
