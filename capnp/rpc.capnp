# Bitcoin Core's Rpc interface: any JSON-RPC request over IPC (wire-compatible with master).
@0x9c3505dc45e146ac;

using Proxy = import "/mp/proxy.capnp";

interface Rpc {
  # request: JSON-RPC text; uri: "/" or "/wallet/<name>"; user only matters for -rpcwhitelist.
  # The reply is the JSON text the HTTP server would send, errors included.
  executeRpc @0 (context :Proxy.Context, request :Text, uri :Text, user :Text) -> (result :Text);
}
