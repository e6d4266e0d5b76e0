# EXPERIMENTAL, patched nodes only: the net-message tracing interface of a Bitcoin Core fork by
# peer-observer's author (not in Bitcoin Core master). The node serves it at Init.makeTracing @5
# and calls NetMessageTrace.messages with batches. peerwatch detects it and uses it when present.
@0xca4c717e6cf65a84;

using Proxy = import "/mp/proxy.capnp";
using Handler = import "handler.capnp";

interface Tracing {
  destroy @0 (context :Proxy.Context) -> ();
  traceNetMessages @1 (context :Proxy.Context, options :NetMessageTraceOptions, callback :NetMessageTrace) -> (result :Handler.Handler);
}

# Hosted by the client; the node calls it from a dedicated thread, one batch at a time.
interface NetMessageTrace {
  destroy @0 (context :Proxy.Context) -> ();
  # dropped: events the node discarded since the previous batch because our queue was full.
  messages @1 (context :Proxy.Context, messages :List(NetMessage), dropped :UInt64) -> ();
}

struct NetMessageTraceOptions {
  inbound @0 :Bool = true;
  outbound @1 :Bool = true;
  maxPayloadBytes @2 :UInt32 = 0;
  maxQueueEvents @3 :UInt32 = 65536;
  maxBatchEvents @4 :UInt32 = 1024;
  maxBatchWaitUs @5 :UInt32 = 1000;
}

struct NetMessage {
  inbound @0 :Bool;
  peerId @1 :Int64;
  peerAddr @2 :Text;
  connType @3 :Text;
  msgType @4 :Text;
  msgSize @5 :UInt64;
  payload @6 :Data;
  timestampUs @7 :Int64;
}

# Init.makeTracing @5 on the fork. Init itself stays as in master (init.capnp); the client calls
# ordinal 5 of Init's interface ID with these parameter and result structs.
struct MakeTracingParams {
  context @0 :Proxy.Context;
}
struct MakeTracingResults {
  result @0 :Tracing;
}
