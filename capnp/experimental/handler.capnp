# EXPERIMENTAL. The Handler a subscription returns in the proposed tracing interfaces
# (Bitcoin Core's multiprocess branch): destroy or disconnect ends the subscription.
@0xebd8f46e2f369076;

using Proxy = import "/mp/proxy.capnp";

interface Handler {
  destroy @0 (context :Proxy.Context) -> ();
  disconnect @1 (context :Proxy.Context) -> ();
}
