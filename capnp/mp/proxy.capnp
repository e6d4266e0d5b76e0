# libmultiprocess's proxy types, as peerwatch needs them on the wire: the thread handles that
# every Bitcoin Core IPC call carries in its Context. Written for peerwatch from the wire facts
# (file and type IDs, ordinals) of Bitcoin Core master; annotations of the original are left out
# because they do not travel on the wire.
@0xcc316e3f71a040fb;

interface ThreadMap {
  # Makes a named server thread; calls carrying it in context.thread run on it.
  makeThread @0 (name :Text) -> (result :Thread);
  # Makes a pool of n server threads that serve calls without context.thread.
  makePool @1 (count :UInt32) -> ();
}

interface Thread {
  getName @0 () -> (result :Text);
}

struct Context {
  thread @0 :Thread;
  callbackThread @1 :Thread;
}
