# Bitcoin Core's Init interface, the bootstrap capability of -ipcbind (wire-compatible with master).
@0xf2c5cfa319406aa6;

using Proxy = import "/mp/proxy.capnp";
using Echo = import "echo.capnp";
using Mining = import "mining.capnp";
using Rpc = import "rpc.capnp";

interface Init {
  # Pass a client-hosted ThreadMap when the node must call back into the client.
  construct @0 (threadMap :Proxy.ThreadMap) -> (threadMap :Proxy.ThreadMap);
  makeEcho @1 (context :Proxy.Context) -> (result :Echo.Echo);
  # Deprecated: the server always answers with an error (was makeMining in v30).
  makeMiningOld2 @2 () -> ();
  makeMining @3 (context :Proxy.Context) -> (result :Mining.Mining);
  makeRpc @4 (context :Proxy.Context) -> (result :Rpc.Rpc);
}
