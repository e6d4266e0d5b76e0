// A real nats-server for the NATS tests: started on a free loopback port with a config file the
// test writes (auth, TLS, max_payload, JetStream), stopped and restarted on the same port.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { freePort } from "./real-node.js";

/** The nats-server binary, or why the tests cannot run. */
export function natsServerBinary(): { path: string } | { skip: string } {
  for (const p of ["/usr/bin/nats-server", "/usr/sbin/nats-server", "/usr/local/bin/nats-server"]) {
    if (fs.existsSync(p)) return { path: p };
  }
  const r = spawnSync("sh", ["-c", "command -v nats-server"], { encoding: "utf8" });
  if (r.status === 0 && r.stdout.trim()) return { path: r.stdout.trim() };
  return { skip: "nats-server is not installed (Debian: apt-get install nats-server; scripts/setup --test does it)" };
}

/** openssl for the TLS test's certificates, or why not. */
export function opensslBinary(): { path: string } | { skip: string } {
  const r = spawnSync("openssl", ["version"], { encoding: "utf8" });
  return r.status === 0 ? { path: "openssl" } : { skip: "openssl is not installed (Debian: apt-get install openssl)" };
}

export class NatsServer {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-nats-"));
  private child: ChildProcess | undefined;
  log = "";
  port = 0;

  /** `config`: nats-server config text (without listen/port); `jetstream`: keep a store in dir. */
  constructor(
    private readonly bin: string,
    private readonly config = "",
    private readonly jetstream = false,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    const conf = path.join(this.dir, "server.conf");
    const js = this.jetstream ? `jetstream { store_dir: "${path.join(this.dir, "js")}" }\n` : "";
    fs.writeFileSync(conf, `listen: "127.0.0.1:${this.port}"\n${js}${this.config}\n`);
    this.log = "";
    const child = spawn(this.bin, ["-c", conf], { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nats-server did not start in 10 s:\n${this.log}`)), 10_000);
      const onData = (d: Buffer) => {
        this.log += d.toString();
        if (/Server is ready/.test(this.log)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`nats-server exited (${code}):\n${this.log}`));
      });
    });
    await ready;
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill("SIGTERM");
    await exited;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async dispose(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl in `dir`. */
export function makeCertificates(dir: string): { ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string } {
  const f = (n: string) => path.join(dir, n);
  const run = (args: string[]) => {
    const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${r.stderr}`);
  };
  run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f("ca.key"), "-out", f("ca.pem"), "-days", "2", "-subj", "/CN=peerwatch test CA"]);
  fs.writeFileSync(f("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  fs.writeFileSync(f("client.ext"), "extendedKeyUsage=clientAuth\n");
  for (const who of ["server", "client"]) {
    run(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", f(`${who}.key`), "-out", f(`${who}.csr`), "-subj", `/CN=peerwatch test ${who}`]);
    run([
      "x509",
      "-req",
      "-in",
      f(`${who}.csr`),
      "-CA",
      f("ca.pem"),
      "-CAkey",
      f("ca.key"),
      "-CAcreateserial",
      "-out",
      f(`${who}.pem`),
      "-days",
      "2",
      "-extfile",
      f(`${who}.ext`),
    ]);
  }
  return { ca: f("ca.pem"), serverCert: f("server.pem"), serverKey: f("server.key"), clientCert: f("client.pem"), clientKey: f("client.key") };
}

/**
 * One JetStream server and a scratch folder shared by the tests of a file: started before them,
 * removed after. Read `srv` and `dir` inside the tests (they are set once the file's tests start).
 */
export function natsServerForFile(binPath: string, dirPrefix: string): { readonly srv: NatsServer; readonly dir: string } {
  const env = {} as { srv: NatsServer; dir: string };
  beforeAll(async () => {
    env.srv = new NatsServer(binPath, "", true);
    await env.srv.start();
    env.dir = fs.mkdtempSync(path.join(os.tmpdir(), dirPrefix));
  });
  afterAll(async () => {
    await env.srv.dispose();
    fs.rmSync(env.dir, { recursive: true, force: true });
  });
  return env;
}
