// A stand-in for bitcoin-node's IPC side, for peerwatch's tests. It serves Init, Echo, Mining, Rpc
// and the experimental net-message Tracing interface on a unix socket with Debian's libcapnp, from
// the same schema files peerwatch generates its client from, and behaves like libmultiprocess
// where it matters to a client:
//   - a call whose context has no thread fails unless ThreadMap.makePool was called;
//   - before calling a client-hosted callback it asks the ThreadMap the client passed to
//     construct() for a thread, and fails if the client passed none;
//   - waitTipChanged blocks until the tip moves (see "tip" below) or its timeout (ms) passes.
// executeRpc answers from canned JSON files (<rpc dir>/<method>.json), except getblockhash once a
// tip or block command has made blocks: then it answers from those, like a node's active chain.
//
// Usage: standin-node <socket path> <rpc dir> [--v30] [--tracing[=next]] [--clock=wall] [--mining-delay=<ms>] [--max-subscribers=<n>]
//   --clock=wall: stamp traced messages with system_clock instead of steady_clock (the fork's clock).
//   --tracing=next: behave like a later version of the tracing fork: read the options and write the
//     messages with the larger structs of test/ipc/standin/tracing_net_next.capnp.
//   --mining-delay: makeMining answers only after that long, like a node loading its chainstate.
//   --max-subscribers: traceNetMessages fails with "too many subscribers" beyond n live subscriptions
//     (a later version of the tracing fork limits them).
// Control, one command per line on stdin (replies "ok ..." on stdout):
//   tip <height> <64 hex, display order>   move the tip; wakes every waitTipChanged
//   block <height> <64 hex, display order> connect a block without waking anyone (the next tip
//                                          command then jumps over it, as several blocks connected
//                                          before a waitTipChanged returns do)
//   warmup on|off                          executeRpc answers error -28 (warming up)
//   hang <method>                          executeRpc for <method> never answers
//   invalid <method>                       executeRpc for <method> answers a result of wrong shape
//   trace <n> <dropped> [<age ms>]         push n net messages to every subscriber, as the fork does: at
//                                          most maxQueueEvents of them (the rest add to dropped), in
//                                          batches of maxBatchEvents, the first batch carrying dropped;
//                                          each stamped <age ms> before now (timestampUs, steady_clock
//                                          like the fork's, unless --clock=wall) with a real
//                                          payload (ping, inv, version, feefilter in turn) of which
//                                          maxPayloadBytes are copied; replies "ok trace stamp=<the first
//                                          message's timestampUs>". Every command's batches go out at
//                                          once (a burst, unlike a node): for a node's pace, use flood
//   flood <messages> <rate per second> [trace|ping]
//                                          produce messages at that rate (mix trace, the default: the
//                                          same messages and payloads as trace; mix ping: what a real
//                                          ping flood traces, one inbound peer's pings (received, i
//                                          even) each followed by our pong (sent, the ping's 8-byte
//                                          nonce); each stamped when produced, steady_clock unless
//                                          --clock=wall) into each subscriber's bounded queue, counting
//                                          what does not fit, and deliver them as the fork's
//                                          src/node/net_trace.cpp does: one delivery loop per subscriber,
//                                          batches of up to maxBatchEvents (or what came within
//                                          maxBatchWaitUs), the next only when the previous call returned,
//                                          each carrying the drops since the last (see "flood:" below).
//                                          At most 10,000,000 messages at 1,000,000/s, one flood at a time.
//                                          Replies when all are produced and delivered (or the subscribers
//                                          went away): "ok flood produced=<n> queued=<n> dropped=<n>
//                                          delivered=<n> subscribers=<n>" (queued, dropped and delivered
//                                          summed over the subscribers the flood started with)
//   refuse <text>|none                     traceNetMessages fails with <text> (a node that refuses a client)
//   malformed                              write a frame with a bad segment table to every client
//   oversized <bytes>                      write a frame header announcing <bytes> to every client
//   drop                                   close every client connection
//   stats                                  print counters (flood_produced: the running or last flood's messages so far)
// It prints "listening <path>" once it accepts connections.
#include <capnp/rpc-twoparty.h>
#include <capnp/message.h>
#include <kj/async-io.h>
#include <kj/debug.h>
#include <kj/string.h>
#include <kj/vector.h>
#include <kj/map.h>

#include <init.capnp.h>
#include <echo.capnp.h>
#include <mining.capnp.h>
#include <rpc.capnp.h>
#include <common.capnp.h>
#include <mp/proxy.capnp.h>
#include <experimental/tracing_net.capnp.h>
#include <experimental/handler.capnp.h>
#include <tracing_net_next.capnp.h>

#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>
#include <unistd.h>
#include <chrono>
#include <type_traits>
#include <map>
#include <deque>
#include <memory>
#include <vector>

namespace {

struct State;

std::string readFile(const std::string& path, bool& ok) {
  std::ifstream f(path);
  ok = f.good();
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct Tip {
  int height = 0;
  std::string internal;  // 32 bytes, internal order
};

// One waiting waitTipChanged call.
struct Waiter {
  kj::Own<kj::PromiseFulfiller<void>> fulfiller;
};

struct Client;

// One traceNetMessages subscription and the options the client asked for.
struct Subscription {
  NetMessageTrace::Client callback;
  bool next;  // write messages with the later fork's larger struct
  uint32_t maxPayloadBytes, maxQueueEvents, maxBatchEvents, maxBatchWaitUs;
  bool inbound = true, outbound = true;
  bool active = true;
  Subscription(NetMessageTrace::Client cb, bool next) : callback(kj::mv(cb)), next(next) {}
};

struct State {
  kj::AsyncIoContext& io;
  std::string rpcDir;
  bool v30 = false;
  bool tracing = false;
  bool warmup = false;
  long miningDelayMs = 0;
  long maxSubscribers = -1;  // unlimited
  uint64_t tracingDestroyed = 0, handlerDestroyed = 0;
  std::string lastOptions = "none";
  bool tracingNext = false;
  bool wallClock = false;  // --clock=wall
  bool flooding = false;   // a flood command is running
  int64_t floodProduced = 0;  // messages the last (or running) flood produced so far, for "stats"
  std::string refuse;                // traceNetMessages fails with this text when set
  std::string nextOptions = "none";  // the fields only the later fork has, as the client left them
  std::string hangMethod, invalidMethod;
  Tip tip;
  std::map<int, std::string> chain;  // height -> hash (display order) of blocks the control commands made
  bool interrupted = false;
  kj::Vector<kj::Own<kj::PromiseFulfiller<void>>> tipWaiters;
  kj::Vector<Client*> clients;
  // Counters for "stats".
  uint64_t calls = 0, rejectedNoThread = 0, callbacks = 0;

  explicit State(kj::AsyncIoContext& io) : io(io) {}

  void notifyTip() {
    for (auto& f : tipWaiters) f->fulfill();
    tipWaiters.clear();
  }
};

// Per connection: the client's ThreadMap (for callbacks) and whether a pool exists.
struct Client {
  State& state;
  kj::Own<kj::AsyncIoStream> stream;
  kj::Maybe<ThreadMap::Client> clientThreadMap;
  bool pool = false;
  kj::Vector<kj::Own<Subscription>> subscriptions;
  kj::Own<capnp::TwoPartyVatNetwork> network;
  kj::Own<capnp::RpcSystem<capnp::rpc::twoparty::VatId>> rpc;
  Client(State& s, kj::Own<kj::AsyncIoStream> st) : state(s), stream(kj::mv(st)) {}
};

void requireThread(Client& c, Context::Reader ctx) {
  c.state.calls++;
  if (!ctx.hasThread() && !c.pool) {
    c.state.rejectedNoThread++;
    KJ_FAIL_REQUIRE("no thread specified and no pool configured");
  }
}

class ThreadImpl final : public Thread::Server {
 public:
  explicit ThreadImpl(std::string name) : name(kj::mv(name)) {}
  kj::Promise<void> getName(GetNameContext ctx) override {
    ctx.getResults().setResult(name);
    return kj::READY_NOW;
  }
 private:
  std::string name;
};

class ThreadMapImpl final : public ThreadMap::Server {
 public:
  explicit ThreadMapImpl(Client& c) : c(c) {}
  kj::Promise<void> makeThread(MakeThreadContext ctx) override {
    ctx.getResults().setResult(kj::heap<ThreadImpl>(ctx.getParams().getName()));
    return kj::READY_NOW;
  }
  kj::Promise<void> makePool(MakePoolContext) override {
    c.pool = true;
    return kj::READY_NOW;
  }
 private:
  Client& c;
};

class EchoImpl final : public Echo::Server {
 public:
  explicit EchoImpl(Client& c) : c(c) {}
  kj::Promise<void> destroy(DestroyContext ctx) override {
    requireThread(c, ctx.getParams().getContext());
    return kj::READY_NOW;
  }
  kj::Promise<void> echo(EchoContext ctx) override {
    requireThread(c, ctx.getParams().getContext());
    ctx.getResults().setResult(ctx.getParams().getEcho());
    return kj::READY_NOW;
  }
 private:
  Client& c;
};

class RpcImpl final : public Rpc::Server {
 public:
  explicit RpcImpl(Client& c) : c(c) {}
  kj::Promise<void> executeRpc(ExecuteRpcContext ctx) override {
    requireThread(c, ctx.getParams().getContext());
    std::string req = ctx.getParams().getRequest();
    std::smatch m;
    std::string method, id = "null";
    if (std::regex_search(req, m, std::regex("\"method\"\\s*:\\s*\"([A-Za-z0-9_]+)\""))) method = m[1];
    if (std::regex_search(req, m, std::regex("\"id\"\\s*:\\s*([0-9]+)"))) id = m[1];
    std::string reply;
    if (method.empty()) {
      reply = "{\"result\":null,\"error\":{\"code\":-32700,\"message\":\"Parse error\"},\"id\":null}";
    } else if (c.state.warmup) {
      reply = "{\"result\":null,\"error\":{\"code\":-28,\"message\":\"Loading block index...\"},\"id\":" + id + "}";
    } else if (method == c.state.hangMethod) {
      return kj::NEVER_DONE;
    } else if (method == c.state.invalidMethod) {
      reply = "{\"result\":{\"unexpected\":true},\"error\":null,\"id\":" + id + "}";
    } else if (method == "getblockhash" && !c.state.chain.empty()) {
      // Answered from the blocks the control commands made, like a node's active chain.
      int height = -1;
      if (std::regex_search(req, m, std::regex("\"params\"\\s*:\\s*\\[\\s*(-?[0-9]+)"))) height = std::stoi(m[1]);
      auto it = c.state.chain.find(height);
      reply = it != c.state.chain.end()
          ? "{\"result\":\"" + it->second + "\",\"error\":null,\"id\":" + id + "}"
          : "{\"result\":null,\"error\":{\"code\":-8,\"message\":\"Block height out of range\"},\"id\":" + id + "}";
    } else {
      bool ok = false;
      std::string body = readFile(c.state.rpcDir + "/" + method + ".json", ok);
      reply = ok ? "{\"result\":" + body + ",\"error\":null,\"id\":" + id + "}"
                 : "{\"result\":null,\"error\":{\"code\":-32601,\"message\":\"Method not found\"},\"id\":" + id + "}";
    }
    ctx.getResults().setResult(reply);
    return kj::READY_NOW;
  }
 private:
  Client& c;
};

void setTip(BlockRef::Builder b, const Tip& t) {
  b.setHeight(t.height);
  b.setHash(kj::arrayPtr(reinterpret_cast<const capnp::byte*>(t.internal.data()), t.internal.size()));
}

class MiningImpl final : public Mining::Server {
 public:
  explicit MiningImpl(Client& c) : c(c) {}
  kj::Promise<void> isTestChain(IsTestChainContext ctx) override {
    requireThread(c, ctx.getParams().getContext());
    ctx.getResults().setResult(true);
    return kj::READY_NOW;
  }
  kj::Promise<void> isInitialBlockDownload(IsInitialBlockDownloadContext ctx) override {
    requireThread(c, ctx.getParams().getContext());
    ctx.getResults().setResult(false);
    return kj::READY_NOW;
  }
  kj::Promise<void> getTip(GetTipContext ctx) override {
    requireThread(c, ctx.getParams().getContext());
    setTip(ctx.getResults().initResult(), c.state.tip);
    ctx.getResults().setHasResult(true);
    return kj::READY_NOW;
  }
  kj::Promise<void> waitTipChanged(WaitTipChangedContext ctx) override {
    requireThread(c, ctx.getParams().getContext());
    auto cur = ctx.getParams().getCurrentTip();
    std::string current(reinterpret_cast<const char*>(cur.begin()), cur.size());
    double timeoutMs = ctx.getParams().getTimeout();
    return waitLoop(ctx, current, c.state.io.provider->getTimer().now() + static_cast<int64_t>(std::min(timeoutMs, 1e12)) * kj::MILLISECONDS);
  }
  kj::Promise<void> interrupt(InterruptContext) override {
    c.state.interrupted = true;
    c.state.notifyTip();
    return kj::READY_NOW;
  }
 private:
  kj::Promise<void> waitLoop(WaitTipChangedContext ctx, std::string current, kj::TimePoint deadline) {
    if (c.state.interrupted) {
      auto r = ctx.getResults().initResult();
      r.setHeight(-1);  // empty hash: interrupted or shutting down
      return kj::READY_NOW;
    }
    if (c.state.tip.internal != current || c.state.io.provider->getTimer().now() >= deadline) {
      setTip(ctx.getResults().initResult(), c.state.tip);
      return kj::READY_NOW;
    }
    auto paf = kj::newPromiseAndFulfiller<void>();
    c.state.tipWaiters.add(kj::mv(paf.fulfiller));
    return paf.promise.exclusiveJoin(c.state.io.provider->getTimer().atTime(deadline))
        .then([this, ctx, current, deadline]() mutable { return waitLoop(ctx, current, deadline); });
  }
  Client& c;
};

// Ends one subscription (the node stops sending it batches).
class HandlerImpl final : public Handler::Server {
 public:
  HandlerImpl(State& s, Subscription& sub) : s(s), sub(sub) {}
  kj::Promise<void> destroy(DestroyContext) override {
    s.handlerDestroyed++;
    sub.active = false;
    return kj::READY_NOW;
  }
  kj::Promise<void> disconnect(DisconnectContext) override {
    sub.active = false;
    return kj::READY_NOW;
  }
 private:
  State& s;
  Subscription& sub;
};

size_t activeSubscriptions(State& s) {
  size_t n = 0;
  for (Client* c : s.clients)
    for (auto& sub : c->subscriptions) n += sub->active ? 1 : 0;
  return n;
}

// The checks a node makes before it accepts a subscriber.
void admit(Client& c) {
  if (!c.state.refuse.empty()) {
    kj::throwFatalException(kj::Exception(kj::Exception::Type::FAILED, __FILE__, __LINE__, kj::heapString(c.state.refuse.c_str())));
  }
  if (c.state.maxSubscribers >= 0 && activeSubscriptions(c.state) >= static_cast<size_t>(c.state.maxSubscribers)) {
    KJ_FAIL_REQUIRE("too many subscribers", c.state.maxSubscribers);
  }
}

void subscribe(Client& c, capnp::CallContext<Tracing::TraceNetMessagesParams, Tracing::TraceNetMessagesResults>& ctx) {
  requireThread(c, ctx.getParams().getContext());
  admit(c);
  auto o = ctx.getParams().getOptions();
  bool next = c.state.tracingNext;
  auto sub = kj::heap<Subscription>(ctx.getParams().getCallback(), next);
  sub->maxPayloadBytes = o.getMaxPayloadBytes();
  sub->maxQueueEvents = o.getMaxQueueEvents();
  sub->maxBatchEvents = o.getMaxBatchEvents() == 0 ? 1 : o.getMaxBatchEvents();
  sub->maxBatchWaitUs = o.getMaxBatchWaitUs();
  sub->inbound = o.getInbound();
  sub->outbound = o.getOutbound();
  c.state.lastOptions = std::to_string(sub->maxPayloadBytes) + "," + std::to_string(sub->maxQueueEvents) + "," +
                        std::to_string(sub->maxBatchEvents) + "," + std::to_string(sub->maxBatchWaitUs);
  if (next) {
    // The later fork reads the same bytes with its larger struct: fields the client does not know read as defaults.
    auto params = capnp::AnyStruct::Reader(ctx.getParams());
    auto n = params.getPointerSection()[1].getAs<next::NetMessageTraceOptions>();
    c.state.nextOptions = "msgTypes:" + std::to_string(n.getMsgTypes().size()) + ",maxEventsPerSecond:" + std::to_string(n.getMaxEventsPerSecond());
  }
  ctx.getResults().setResult(kj::heap<HandlerImpl>(c.state, *sub));
  c.subscriptions.add(kj::mv(sub));
}

class TracingImpl final : public Tracing::Server {
 public:
  explicit TracingImpl(Client& c) : c(c) {}
  kj::Promise<void> destroy(DestroyContext) override {
    c.state.tracingDestroyed++;
    return kj::READY_NOW;
  }
  kj::Promise<void> traceNetMessages(TraceNetMessagesContext ctx) override {
    subscribe(c, ctx);
    return kj::READY_NOW;
  }
 private:
  Client& c;
};

class InitImpl final : public Init::Server {
 public:
  explicit InitImpl(Client& c) : c(c) {}
  kj::Promise<void> construct(ConstructContext ctx) override {
    if (ctx.getParams().hasThreadMap()) c.clientThreadMap = ctx.getParams().getThreadMap();
    ctx.getResults().setThreadMap(kj::heap<ThreadMapImpl>(c));
    return kj::READY_NOW;
  }
  kj::Promise<void> makeEcho(MakeEchoContext ctx) override {
    requireThread(c, ctx.getParams().getContext());
    ctx.getResults().setResult(kj::heap<EchoImpl>(c));
    return kj::READY_NOW;
  }
  kj::Promise<void> makeMiningOld2(MakeMiningOld2Context) override {
    KJ_FAIL_REQUIRE("Old mining interface (@2) not supported. Please update your client!");
  }
  kj::Promise<void> makeMining(MakeMiningContext ctx) override {
    if (c.state.v30) return Init::Server::makeMining(ctx);  // unimplemented, like a v30 node
    requireThread(c, ctx.getParams().getContext());
    auto answer = [this, ctx]() mutable { ctx.getResults().setResult(kj::heap<MiningImpl>(c)); };
    if (c.state.miningDelayMs <= 0) {
      answer();
      return kj::READY_NOW;
    }
    return c.state.io.provider->getTimer().afterDelay(c.state.miningDelayMs * kj::MILLISECONDS).then(kj::mv(answer));
  }
  kj::Promise<void> makeRpc(MakeRpcContext ctx) override {
    if (c.state.v30) return Init::Server::makeRpc(ctx);
    requireThread(c, ctx.getParams().getContext());
    ctx.getResults().setResult(kj::heap<RpcImpl>(c));
    return kj::READY_NOW;
  }
  // makeTracing @5 exists only on patched nodes; Init in init.capnp stays as in master.
  DispatchCallResult dispatchCall(uint64_t interfaceId, uint16_t methodId,
                                  capnp::CallContext<capnp::AnyPointer, capnp::AnyPointer> ctx) override {
    if (interfaceId == capnp::typeId<Init>() && methodId == 5 && c.state.tracing) {
      auto params = ctx.getParams().getAs<MakeTracingParams>();
      requireThread(c, params.getContext());
      ctx.getResults().initAs<MakeTracingResults>().setResult(kj::heap<TracingImpl>(c));
      return {kj::READY_NOW, false};
    }
    return Init::Server::dispatchCall(interfaceId, methodId, ctx);
  }
 private:
  Client& c;
};

// The mixes of messages a flood traces: trace's (ping, inv, version, feefilter in turn, from peers
// 0..6, inbound when i is even) or a real ping flood's (one inbound peer sending pings, each answered
// by a pong: the inbound ping, then the outbound pong echoing its nonce).
enum class Mix { Trace, Ping };

// The flooding peer of the ping mix: an inbound connection, as a peer that floods us would be.
constexpr int64_t PING_FLOOD_PEER = 3;

// The wire bytes of message i's payload: ping, inv, version, feefilter in turn; with Mix::Ping, ping
// (i even, nonce 0x1122334455660000 + i) and pong (i odd, the previous ping's nonce), 8 bytes each.
std::string payloadOf(int i, std::string& type, Mix mix = Mix::Trace) {
  std::string p;
  auto le = [&p](uint64_t v, int n) { for (int k = 0; k < n; k++) p.push_back(static_cast<char>((v >> (8 * k)) & 0xff)); };
  if (mix == Mix::Ping) {
    type = i % 2 == 0 ? "ping" : "pong";
    le(0x1122334455660000ULL + (i - i % 2), 8);
    return p;
  }
  switch (i % 4) {
    case 0: type = "ping"; le(0x1122334455660000ULL + i, 8); break;
    case 1: type = "inv"; p.push_back(1); le(5, 4); for (int k = 0; k < 32; k++) p.push_back(static_cast<char>(i + k)); break;
    case 2: {
      type = "version";
      le(70016, 4); le(0x409, 8); le(1795470474, 8);
      for (int a = 0; a < 2; a++) { le(0x409, 8); p.append(10, '\0'); p.append("\xff\xff\x7f\x00\x00\x01", 6); le(0x4a48, 2); }
      le(0xabcdef0123456789ULL, 8);
      std::string ua = "/standin:1.0/";
      p.push_back(static_cast<char>(ua.size())); p += ua;
      le(200, 4); p.push_back(1);
      break;
    }
    default: type = "feefilter"; le(1000, 8); break;  // 1000 sat/kvB = 1 sat/vB
  }
  return p;
}

// Message i (inbound when i is even), stamped stampUs, with maxPayloadBytes of its payload. In the
// ping mix every message is the flooding peer's: inbound (received) pings, outbound (sent) pongs, all on
// its inbound connection.
template <typename Message>
void fillMessage(typename Message::Builder m, const Subscription& sub, int i, int64_t stampUs, Mix mix = Mix::Trace) {
  std::string type;
  std::string payload = payloadOf(i, type, mix);
  m.setInbound(i % 2 == 0);
  if (mix == Mix::Ping) {
    m.setPeerId(PING_FLOOD_PEER);
    m.setPeerAddr("127.0.0.1:49152");
    m.setConnType("inbound");
  } else {
    m.setPeerId(i % 7);
    m.setPeerAddr("127.0.0.1:18444");
    m.setConnType(i % 2 == 0 ? "inbound" : "outbound-full-relay");
  }
  m.setMsgType(type);
  m.setMsgSize(payload.size());
  size_t copy = std::min<size_t>(payload.size(), sub.maxPayloadBytes);
  m.setPayload(kj::arrayPtr(reinterpret_cast<const capnp::byte*>(payload.data()), copy));
  m.setTimestampUs(stampUs);
  if constexpr (std::is_same_v<Message, next::NetMessage>) {
    m.setNetwork("not_publicly_routable");
    m.setTransportV2(i % 2 == 1);
  }
}

// One batch of messages start..start+count to one subscriber, in the schema version it speaks.
template <typename Message>
kj::Promise<void> sendBatch(Subscription& sub, Thread::Client thread, int start, int count, uint64_t dropped, int64_t stampUs) {
  auto req = sub.callback.messagesRequest();
  req.initContext().setThread(thread);
  req.setDropped(dropped);
  // messages is the params' second pointer: written with the message struct of this fork version.
  NetMessageTrace::MessagesParams::Builder params = req;
  auto list = capnp::AnyStruct::Builder(kj::mv(params)).getPointerSection()[1].initAs<capnp::List<Message>>(count);
  for (int j = 0; j < count; j++) fillMessage<Message>(list[j], sub, start + j, stampUs + start + j);
  return req.send().ignoreResult();
}

// Now in µs on the clock the node stamps messages with: steady_clock like the fork (src/interfaces/tracing.h:
// CLOCK_MONOTONIC on Linux), or system_clock with --clock=wall.
int64_t stampNowUs(const State& s) {
  return s.wallClock
      ? std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count()
      : std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Push n messages to every live subscription, asking the client's ThreadMap for a thread first.
// Returns the stamp of the first message (the i-th is stamped one µs later), for the caller to print.
int64_t pushTrace(State& s, int n, uint64_t dropped, long ageMs) {
  // Like the fork (src/interfaces/tracing.h): timestampUs is steady_clock (CLOCK_MONOTONIC on Linux),
  // not wall-clock time; --clock=wall stamps system_clock, as a node that did would.
  int64_t nowUs = stampNowUs(s);
  for (Client* c : s.clients) {
    for (auto& sub : c->subscriptions) {
      if (!sub->active) continue;
      KJ_IF_MAYBE(tm, c->clientThreadMap) {
        int kept = std::min<int64_t>(n, sub->maxQueueEvents);
        uint64_t lost = dropped + static_cast<uint64_t>(n - kept);
        kj::Promise<void> chain = kj::READY_NOW;
        for (int start = 0; start < kept || (start == 0 && lost > 0); start += sub->maxBatchEvents) {
          int count = std::min<int>(sub->maxBatchEvents, kept - start);
          auto t = tm->makeThreadRequest();
          t.setName("standin-callback");
          Thread::Client thread = t.send().getResult();
          Subscription* target = sub.get();
          uint64_t batchDropped = start == 0 ? lost : 0;
          int64_t stampUs = nowUs - ageMs * 1000;
          s.callbacks++;
          // One batch at a time, like the fork: the next goes out when the client has returned.
          chain = chain.then([target, thread, start, count, batchDropped, stampUs]() mutable {
            return target->next ? sendBatch<next::NetMessage>(*target, thread, start, count, batchDropped, stampUs)
                                : sendBatch<NetMessage>(*target, thread, start, count, batchDropped, stampUs);
          });
          if (kept == 0) break;
        }
        chain.detach([](kj::Exception&& e) { std::cerr << "callback failed: " << e.getDescription().cStr() << std::endl; });
      } else {
        std::cerr << "callback failed: the client passed no ThreadMap to construct" << std::endl;
      }
    }
  }
  return nowUs - ageMs * 1000;
}

// ---- flood: messages produced at a rate, delivered as the fork's net_trace.cpp delivers them ----
// The fork (src/node/net_trace.cpp, the version with max_batch_wait_us, whose options are
// capnp/experimental/tracing_net.capnp's) clamps a subscriber's options (ClampOptions), gives it a
// bounded ring of bit_ceil(max(max_queue_events, 2)) slots, and record() (on the message handler
// thread) pushes each message into it, or counts it in `dropped` when the ring is full, skipping a
// subscriber that does not want the message's direction. One delivery thread per subscriber loops:
// drain up to max_batch_events; if that is not a full batch, wait max_batch_wait_us (50 µs when 0),
// drain again up to max_batch_events; nothing: start over; else exchange `dropped` with 0 and call
// messages(batch, dropped), waiting for the call to return before the next batch. A failed call
// removes the subscriber. Here the producer and the delivery loops share the kj event loop: the
// producer runs every ~1 ms and adds what the rate owes since the flood began (so a late tick
// catches up in a burst, as a message handler working through a backlog would); a delivery loop's
// wait is a kj timer (the event loop wakes at millisecond granularity, so waits below 1 ms last ~1 ms).
constexpr int64_t FLOOD_MAX_MESSAGES = 10'000'000;
constexpr int64_t FLOOD_MAX_RATE = 1'000'000;  // messages a second
constexpr uint32_t MAX_QUEUE_EVENTS = 1 << 20;  // the fork's bound

struct FloodQueue {
  Subscription* sub;
  Client* client;
  size_t capacity;     // ring slots: bit_ceil(max(maxQueueEvents clamped to [1, 2^20], 2))
  uint32_t batchMax;   // maxBatchEvents clamped to [1, maxQueueEvents]
  int64_t waitUs;      // maxBatchWaitUs clamped to 1 s; 0 polls every 50 µs
  std::deque<std::pair<int64_t, int64_t>> ring;  // message index, timestampUs
  uint64_t dropped = 0;  // since the last batch (the fork's Subscriber::dropped)
  uint64_t queued = 0, droppedTotal = 0, delivered = 0;
  kj::Maybe<Thread::Client> thread;  // the client thread libmultiprocess asked for once, reused for every call
};

struct Flood {
  State& s;
  int64_t total, rate, produced = 0;
  Mix mix;
  std::chrono::steady_clock::time_point start;
  bool producing = true;
  std::vector<std::unique_ptr<FloodQueue>> queues;
  Flood(State& s, int64_t total, int64_t rate, Mix mix) : s(s), total(total), rate(rate), mix(mix) {}
};

size_t bitCeil(size_t v) {
  size_t c = 1;
  while (c < v) c <<= 1;
  return c;
}

bool wants(const Subscription& sub, int64_t i) { return i % 2 == 0 ? sub.inbound : sub.outbound; }

// The message handler's side: record() for every message the rate owes by now.
kj::Promise<void> floodProduce(Flood& f) {
  int64_t elapsedUs = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - f.start).count();
  int64_t target = std::min<int64_t>(f.total, static_cast<int64_t>(static_cast<double>(f.rate) * elapsedUs / 1e6) + 1);
  for (; f.produced < target; f.produced++) {
    int64_t i = f.produced;
    int64_t stamp = stampNowUs(f.s);  // taken per message, like record()'s NowUs(): monotonic
    for (auto& q : f.queues) {
      if (!q->sub->active || !wants(*q->sub, i)) continue;
      if (q->ring.size() >= q->capacity) {
        q->dropped++;
        q->droppedTotal++;
        continue;
      }
      q->ring.emplace_back(i, stamp);
      q->queued++;
    }
  }
  f.s.floodProduced = f.produced;
  if (f.produced >= f.total) {
    f.producing = false;
    return kj::READY_NOW;
  }
  return f.s.io.provider->getTimer().afterDelay(1 * kj::MILLISECONDS).then([&f]() { return floodProduce(f); });
}

void floodDrain(FloodQueue& q, std::vector<std::pair<int64_t, int64_t>>& batch) {
  while (batch.size() < q.batchMax && !q.ring.empty()) {
    batch.push_back(q.ring.front());
    q.ring.pop_front();
  }
}

template <typename Message>
kj::Promise<void> sendFloodBatch(FloodQueue& q, const std::vector<std::pair<int64_t, int64_t>>& batch, uint64_t dropped, Mix mix) {
  auto req = q.sub->callback.messagesRequest();
  KJ_IF_MAYBE(t, q.thread) { req.initContext().setThread(*t); }
  req.setDropped(dropped);
  NetMessageTrace::MessagesParams::Builder params = req;
  auto list = capnp::AnyStruct::Builder(kj::mv(params)).getPointerSection()[1].initAs<capnp::List<Message>>(batch.size());
  for (size_t j = 0; j < batch.size(); j++) fillMessage<Message>(list[j], *q.sub, static_cast<int>(batch[j].first), batch[j].second, mix);
  return req.send().ignoreResult();
}

// One subscriber's delivery thread (Subscriber::Run). Ends when the producer is done and the ring is
// empty, or when the subscriber went away (Handler destroyed or disconnected, or a call failed).
kj::Promise<void> floodDeliver(Flood& f, FloodQueue& q) {
  if (!q.sub->active) return kj::READY_NOW;
  auto batch = kj::heap<std::vector<std::pair<int64_t, int64_t>>>();
  batch->reserve(q.batchMax);
  floodDrain(q, *batch);
  kj::Promise<bool> ready = true;  // whether there is a batch to send
  if (batch->size() < q.batchMax) {
    if (batch->empty() && !f.producing) return kj::READY_NOW;
    // Not full: give the batch a moment to fill (or, when idle, just poll).
    ready = f.s.io.provider->getTimer().afterDelay(q.waitUs * kj::MICROSECONDS).then([&q, b = batch.get()]() {
      floodDrain(q, *b);
      return !b->empty();
    });
  }
  return ready.then([&f, &q, batch = kj::mv(batch)](bool send) mutable -> kj::Promise<void> {
    if (!send || !q.sub->active) return floodDeliver(f, q);
    uint64_t droppedNow = q.dropped;
    q.dropped = 0;
    f.s.callbacks++;
    auto call = q.sub->next ? sendFloodBatch<next::NetMessage>(q, *batch, droppedNow, f.mix) : sendFloodBatch<NetMessage>(q, *batch, droppedNow, f.mix);
    size_t n = batch->size();
    // The next batch only once this call has returned, like the fork's blocking messages() call.
    return call.then(
        [&f, &q, n]() {
          q.delivered += n;
          return floodDeliver(f, q);
        },
        [&q](kj::Exception&& e) {
          std::cerr << "flood: callback failed, removing the subscriber: " << e.getDescription().cStr() << std::endl;
          q.sub->active = false;
          q.ring.clear();
          return kj::Promise<void>(kj::READY_NOW);
        });
  });
}

// Starts a flood to every live subscriber; prints "ok flood ..." when it is over.
void startFlood(State& s, int64_t total, int64_t rate, Mix mix) {
  auto f = kj::heap<Flood>(s, total, rate, mix);
  for (Client* c : s.clients) {
    for (auto& sub : c->subscriptions) {
      if (!sub->active) continue;
      auto q = std::make_unique<FloodQueue>();
      q->sub = sub.get();
      q->client = c;
      uint32_t queueEvents = std::min<uint32_t>(std::max<uint32_t>(sub->maxQueueEvents, 1), MAX_QUEUE_EVENTS);
      q->capacity = bitCeil(std::max<uint32_t>(queueEvents, 2));
      q->batchMax = std::min<uint32_t>(std::max<uint32_t>(sub->maxBatchEvents, 1), queueEvents);
      uint32_t wait = std::min<uint32_t>(sub->maxBatchWaitUs, 1'000'000);
      q->waitUs = wait > 0 ? wait : 50;
      KJ_IF_MAYBE(tm, c->clientThreadMap) {
        auto t = tm->makeThreadRequest();
        t.setName("standin-nettrace");
        q->thread = t.send().getResult();
      } else {
        std::cerr << "callback failed: the client passed no ThreadMap to construct" << std::endl;
        continue;
      }
      f->queues.push_back(kj::mv(q));
    }
  }
  s.flooding = true;
  s.floodProduced = 0;
  f->start = std::chrono::steady_clock::now();
  Flood& ref = *f;
  auto loops = kj::heapArrayBuilder<kj::Promise<void>>(ref.queues.size() + 1);
  loops.add(floodProduce(ref));
  for (auto& q : ref.queues) loops.add(floodDeliver(ref, *q));
  kj::joinPromises(loops.finish())
      .then([&ref]() {
        uint64_t queued = 0, dropped = 0, delivered = 0;
        for (auto& q : ref.queues) queued += q->queued, dropped += q->droppedTotal, delivered += q->delivered;
        ref.s.flooding = false;
        std::cout << "ok flood produced=" << ref.produced << " queued=" << queued << " dropped=" << dropped
                  << " delivered=" << delivered << " subscribers=" << ref.queues.size() << std::endl;
      })
      .attach(kj::mv(f))
      .detach([&s](kj::Exception&& e) {
        s.flooding = false;
        std::cout << "error flood " << e.getDescription().cStr() << std::endl;
      });
}

void writeRaw(State& s, kj::Array<capnp::byte> bytes) {
  for (Client* c : s.clients) {
    auto copy = kj::heapArray<capnp::byte>(bytes.asPtr());
    auto p = c->stream->write(copy.begin(), copy.size());
    p.attach(kj::mv(copy)).detach([](kj::Exception&&) {});
  }
}

kj::Promise<void> acceptLoop(State& s, kj::ConnectionReceiver& listener) {
  return listener.accept().then([&s, &listener](kj::Own<kj::AsyncIoStream> stream) {
    auto c = new Client(s, kj::mv(stream));
    s.clients.add(c);
    c->network = kj::heap<capnp::TwoPartyVatNetwork>(*c->stream, capnp::rpc::twoparty::Side::SERVER);
    c->rpc = kj::heap<capnp::RpcSystem<capnp::rpc::twoparty::VatId>>(
        capnp::makeRpcServer(*c->network, capnp::Capability::Client(kj::heap<InitImpl>(*c))));
    c->network->onDisconnect().then([&s, c]() {
      kj::Vector<Client*> rest;
      for (Client* x : s.clients) if (x != c) rest.add(x);
      s.clients = kj::mv(rest);
      // Leaked on purpose: the RPC system may still hold references during teardown.
    }).detach([](kj::Exception&&) {});
    return acceptLoop(s, listener);
  });
}

bool fromHex(const std::string& hex, std::string& out) {
  if (hex.size() != 64) return false;
  out.assign(32, '\0');
  for (int i = 0; i < 32; i++) {
    unsigned v;
    if (sscanf(hex.c_str() + 2 * i, "%2x", &v) != 1) return false;
    out[31 - i] = static_cast<char>(v);  // display → internal order
  }
  return true;
}

kj::Promise<void> controlLoop(State& s, kj::AsyncInputStream& in, kj::Own<std::string> buf, kj::Own<kj::Array<char>> chunk) {
  auto p = in.tryRead(chunk->begin(), 1, chunk->size());
  return p.then([&s, &in, buf = kj::mv(buf), chunk = kj::mv(chunk)](size_t n) mutable -> kj::Promise<void> {
    if (n == 0) _exit(0);  // stdin closed: the test runner is gone
    buf->append(chunk->begin(), n);
    size_t nl;
    while ((nl = buf->find('\n')) != std::string::npos) {
      std::istringstream line(buf->substr(0, nl));
      buf->erase(0, nl + 1);
      std::string cmd;
      line >> cmd;
      if (cmd == "tip") {
        std::string hex;
        line >> s.tip.height >> hex;
        if (!fromHex(hex, s.tip.internal)) { std::cout << "error bad hash" << std::endl; continue; }
        s.chain[s.tip.height] = hex;
        s.notifyTip();
      } else if (cmd == "block") {
        int height = 0; std::string hex, internal;
        line >> height >> hex;
        if (!fromHex(hex, internal)) { std::cout << "error bad hash" << std::endl; continue; }
        s.chain[height] = hex;
      } else if (cmd == "warmup") {
        std::string v; line >> v; s.warmup = v == "on";
      } else if (cmd == "hang") {
        line >> s.hangMethod;
      } else if (cmd == "invalid") {
        line >> s.invalidMethod;
      } else if (cmd == "trace") {
        int count = 0; uint64_t dropped = 0; long ageMs = 0; line >> count >> dropped;
        if (!(line >> ageMs)) ageMs = 0;
        int64_t stamp = pushTrace(s, count, dropped, ageMs);
        std::cout << "ok trace stamp=" << stamp << std::endl;
        continue;
      } else if (cmd == "flood") {
        int64_t count = 0, rate = 0;
        std::string mix = "trace";
        line >> count >> rate;
        line >> mix;  // optional: stays "trace" when absent
        if (count < 1 || count > FLOOD_MAX_MESSAGES || rate < 1 || rate > FLOOD_MAX_RATE) {
          std::cout << "error flood takes 1.." << FLOOD_MAX_MESSAGES << " messages at 1.." << FLOOD_MAX_RATE << " a second" << std::endl;
        } else if (mix != "trace" && mix != "ping") {
          std::cout << "error flood mix is trace or ping, not " << mix << std::endl;
        } else if (s.flooding) {
          std::cout << "error flood already running" << std::endl;
        } else {
          startFlood(s, count, rate, mix == "ping" ? Mix::Ping : Mix::Trace);  // replies when it is over
        }
        continue;
      } else if (cmd == "refuse") {
        std::string text;
        std::getline(line >> std::ws, text);
        s.refuse = text == "none" ? "" : text;
      } else if (cmd == "malformed") {
        // A valid segment table (2 segments of 1 word each), then two words of garbage.
        auto bytes = kj::heapArray<capnp::byte>(32);
        memset(bytes.begin(), 0xff, bytes.size());
        bytes[0] = 1; bytes[1] = bytes[2] = bytes[3] = 0;
        bytes[4] = 1; bytes[5] = bytes[6] = bytes[7] = 0;
        bytes[8] = 1; bytes[9] = bytes[10] = bytes[11] = 0;
        bytes[12] = bytes[13] = bytes[14] = bytes[15] = 0;
        writeRaw(s, kj::mv(bytes));
      } else if (cmd == "oversized") {
        uint64_t total = 0; line >> total;
        uint32_t words = static_cast<uint32_t>(total / 8);
        auto bytes = kj::heapArray<capnp::byte>(8 + 64);
        memset(bytes.begin(), 0, bytes.size());
        memcpy(bytes.begin() + 4, &words, 4);
        writeRaw(s, kj::mv(bytes));
      } else if (cmd == "drop") {
        for (Client* c : s.clients) c->stream->shutdownWrite(), c->stream->abortRead();
      } else if (cmd == "stats") {
        std::cout << "stats calls=" << s.calls << " rejected_no_thread=" << s.rejectedNoThread
                  << " callbacks=" << s.callbacks << " clients=" << s.clients.size()
                  << " subscribers=" << activeSubscriptions(s) << " handler_destroyed=" << s.handlerDestroyed
                  << " tracing_destroyed=" << s.tracingDestroyed << " options=" << s.lastOptions
                  << " next_options=" << s.nextOptions << " flood_produced=" << s.floodProduced << std::endl;
        continue;
      } else {
        std::cout << "error unknown command " << cmd << std::endl;
        continue;
      }
      std::cout << "ok " << cmd << std::endl;
    }
    return controlLoop(s, in, kj::mv(buf), kj::mv(chunk));
  });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: standin-node <socket> <rpc dir> [--v30] [--tracing]" << std::endl;
    return 2;
  }
  std::string path = argv[1];
  auto io = kj::setupAsyncIo();
  State s(io);
  s.rpcDir = argv[2];
  for (int i = 3; i < argc; i++) {
    if (std::string(argv[i]) == "--v30") s.v30 = true;
    if (std::string(argv[i]) == "--tracing") s.tracing = true;
    if (std::string(argv[i]) == "--tracing=next") s.tracing = s.tracingNext = true;
    if (std::string(argv[i]) == "--clock=wall") s.wallClock = true;
    if (std::string(argv[i]).rfind("--mining-delay=", 0) == 0) s.miningDelayMs = std::stol(std::string(argv[i]).substr(15));
    if (std::string(argv[i]).rfind("--max-subscribers=", 0) == 0) s.maxSubscribers = std::stol(std::string(argv[i]).substr(18));
  }
  fromHex("0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206", s.tip.internal);  // regtest genesis
  unlink(path.c_str());
  auto addr = io.provider->getNetwork().parseAddress(kj::str("unix:", path.c_str())).wait(io.waitScope);
  auto listener = addr->listen();
  std::cout << "listening " << path << std::endl;
  auto stdinStream = io.lowLevelProvider->wrapInputFd(0);
  auto control = controlLoop(s, *stdinStream, kj::heap<std::string>(), kj::heap(kj::heapArray<char>(4096)));
  acceptLoop(s, *listener).exclusiveJoin(kj::mv(control)).wait(io.waitScope);
  return 0;
}
