// RPC over HTTP: getpeerinfo (the capture's reply) from a local stub, peerwatch's undici transport
// vs the `bitcoin-core` npm client it replaced. The old client is measured only where it is
// installed (it is not a dependency any more); the figure from the run before its removal is kept
// in docs/benchmarks.md.
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { compare, dist, report, root } from "../lib.js";

export async function run() {
  const { HttpRpcTransport } = await dist("rpc/http-transport.js");
  const { parseReply } = await dist("codecs/jsonrpc/jsonrpc.js");
  const reply = fs.readFileSync(path.join(root, "test/fixtures/regtest-capture/rpc/getpeerinfo.json"), "utf8");
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const id = JSON.parse(body).id;
      res.writeHead(200, { "content-type": "application/json" }).end(`{"result":${reply},"error":null,"id":${JSON.stringify(id)}}\n`);
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${server.address().port}`;
  const calls = 300;
  const ours = new HttpRpcTransport({ url, credentials: { kind: "userpass", username: "u", password: "p" }, timeoutMs: 5000 });
  const variants = {
    "undici transport (peerwatch)": async () => {
      for (let i = 0; i < calls; i++) await ours.call("getpeerinfo", [], 5000);
    },
  };
  let old;
  try {
    old = new (await import("bitcoin-core")).default({
      host: url,
      username: "u",
      password: "p",
      timeout: 5000,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    old.parser.rpc = (r) => r; // as peerwatch used it: raw body, parsed by our codec
  } catch {
    console.log("\n(bitcoin-core client not installed: the RPC benchmark runs peerwatch's transport alone; see docs/benchmarks.md for the comparison)");
  }
  if (old)
    variants["bitcoin-core client"] = async () => {
      for (let i = 0; i < calls; i++) parseReply((await old.command("getpeerinfo")).body, "getpeerinfo");
    };
  const med = await compare(variants, 9);
  report(`RPC: ${calls} getpeerinfo calls over HTTP to a local stub`, med, "undici transport (peerwatch)", calls, "calls");
  ours.close();
  server.closeAllConnections();
  server.close();
}
