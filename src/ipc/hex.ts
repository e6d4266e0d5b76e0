// Bitcoin hashes travel in internal byte order; people and RPC read them reversed ("display").
export function displayHex(internal: Uint8Array): string {
  return Buffer.from(internal).reverse().toString("hex");
}

export function internalBytes(display: string): Uint8Array {
  return Uint8Array.from(Buffer.from(display, "hex").reverse());
}
