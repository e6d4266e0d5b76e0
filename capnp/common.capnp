# Types shared by Bitcoin Core's IPC interfaces (wire-compatible with master).
@0xcd2c6232cb484a28;

struct BlockRef {
  hash @0 :Data;     # 32 bytes, internal byte order (reverse for display)
  height @1 :Int32;
}
