# For the stand-in node only: the structs of a later version of the net-message tracing fork, with
# more option fields and more message fields than capnp/experimental/tracing_net.capnp. The
# interfaces are unchanged; a node of that version reads the options and writes the messages with
# these layouts, which is what the stand-in does with --tracing=next.
@0xd4b0f3a1c2e5f607;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("next");

struct NetMessageTraceOptions {
  inbound @0 :Bool = true;
  outbound @1 :Bool = true;
  maxPayloadBytes @2 :UInt32 = 0;
  maxQueueEvents @3 :UInt32 = 65536;
  maxBatchEvents @4 :UInt32 = 1024;
  maxBatchWaitUs @5 :UInt32 = 1000;
  # Added later: only these message types (empty: all), and a per-subscriber rate limit (0: none).
  msgTypes @6 :List(Text);
  maxEventsPerSecond @7 :UInt32 = 0;
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
  # Added later.
  network @8 :Text;
  transportV2 @9 :Bool;
}
