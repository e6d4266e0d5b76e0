// Alerts reach the people on call, with real parts from Debian: Prometheus scrapes `peerwatch
// replay` of the shipped recording (which holds a ping-spam), evaluates rules/, and sends to
// Alertmanager, whose webhook (a small HTTP server here) gets the notification with its labels:
// node, alert name, severity and the peer's address. The Prometheus and Alertmanager configs are
// the shipped ones in deploy/provisioning/, with ports and intervals made short.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/capture.js";
import { LiveCli } from "../helpers/cli.js";
import { reportSkip } from "../helpers/skip.js";

const PROMETHEUS = "/usr/bin/prometheus";
const ALERTMANAGER = "/usr/bin/prometheus-alertmanager";
const RECORDING = path.join(REPO_ROOT, "data/regtest-demo.ndjson.gz");
const PROVISIONING = path.join(REPO_ROOT, "deploy/provisioning");

interface Notification {
  status: string;
  alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string> }[];
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Polls `cond` every 200 ms for at most `ms`; the error carries `show()`. */
async function until(cond: () => boolean | Promise<boolean>, ms: number, show: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms:\n${show().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const missing = [PROMETHEUS, ALERTMANAGER].filter((b) => !fs.existsSync(b));
if (missing.length) {
  reportSkip(
    "alerts reach Alertmanager",
    `${missing.join(" and ")} not installed (apt-get install prometheus prometheus-alertmanager, or scripts/setup --test)`,
  );
} else if (!fs.existsSync(RECORDING)) {
  reportSkip("alerts reach Alertmanager", `${RECORDING} is not in this tree`);
} else {
  describe("alerts reach Alertmanager", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-alertmanager-"));
    const children: ChildProcess[] = [];
    const logs = { prometheus: "", alertmanager: "" };
    let replay: LiveCli | undefined;
    let hook: http.Server | undefined;

    const start = (name: "prometheus" | "alertmanager", bin: string, args: string[]) => {
      const c = spawn(bin, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
      c.stdout!.on("data", (d: Buffer) => (logs[name] += d.toString()));
      c.stderr!.on("data", (d: Buffer) => (logs[name] += d.toString()));
      children.push(c);
    };

    afterAll(async () => {
      for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
      await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once("close", r)) : undefined)));
      await replay?.stop();
      hook?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("a ping-spam in a replayed recording becomes a webhook notification with node, alert name and peer address", async () => {
      // The webhook receiver: what Alertmanager posts, kept as parsed JSON.
      const received: Notification[] = [];
      hook = http.createServer((req, res) => {
        let body = "";
        req.on("data", (d: Buffer) => (body += d.toString()));
        req.on("end", () => {
          try {
            received.push(JSON.parse(body) as Notification);
          } catch {
            // a body that is not JSON fails the wait below with what was received
          }
          res.writeHead(200).end();
        });
      });
      await new Promise<void>((r) => hook!.listen(0, "127.0.0.1", r));
      const hookPort = (hook.address() as net.AddressInfo).port;

      // peerwatch: the recording at full speed; /metrics stays up for Prometheus to scrape.
      replay = new LiveCli([
        "replay",
        RECORDING,
        "--speed",
        "max",
        "--metrics",
        "127.0.0.1:0",
        "--linger",
        "120",
        "--node-name",
        "alerts-test",
        "--log-format",
        "json",
      ]);
      await until(
        () => /replay done; \/metrics and the live page stay up/.test(replay!.stderr),
        30_000,
        () => replay!.stderr,
      );
      const metricsAddr = /metrics at http:\/\/(127\.0\.0\.1:\d+)\/metrics/.exec(replay.stderr)![1]!;
      const metrics = await (await fetch(`http://${metricsAddr}/metrics`)).text();
      expect(metrics).toMatch(/^peerwatch_alert_last_raised_timestamp_seconds\{name="ping-spam",severity="warning",peer="127\.0\.0\.1:45330"\} \d/m);

      // Alertmanager with the shipped routing, webhook pointed here, waits cut to a second.
      const amPort = await freePort();
      const am = fs
        .readFileSync(path.join(PROVISIONING, "alertmanager/alertmanager.yml"), "utf8")
        .replace(/http:\/\/127\.0\.0\.1:9095/g, `http://127.0.0.1:${hookPort}`)
        .replace(/group_wait: \d+s/g, "group_wait: 1s")
        .replace(/group_interval: \d+m/g, "group_interval: 1s");
      fs.writeFileSync(path.join(dir, "alertmanager.yml"), am);
      const check = spawnSync("amtool", ["check-config", path.join(dir, "alertmanager.yml")], { encoding: "utf8" });
      if (!check.error) expect(check.status, check.stdout + check.stderr).toBe(0);
      start("alertmanager", ALERTMANAGER, [
        `--config.file=${path.join(dir, "alertmanager.yml")}`,
        `--storage.path=${path.join(dir, "am-data")}`,
        `--web.listen-address=127.0.0.1:${amPort}`,
        "--cluster.listen-address=",
      ]);

      // Prometheus with the shipped config and rules: this peerwatch as target, node label kept.
      const promPort = await freePort();
      fs.copyFileSync(path.join(REPO_ROOT, "rules/peerwatch.rules.yml"), path.join(dir, "peerwatch.rules.yml"));
      const prom = fs
        .readFileSync(path.join(PROVISIONING, "prometheus/prometheus.yml"), "utf8")
        .replace(/_interval: 15s/g, "_interval: 1s")
        .replace('"127.0.0.1:9093"', `"127.0.0.1:${amPort}"`)
        .replace('"127.0.0.1:9432"', `"${metricsAddr}"`)
        .replace("node: mainnet-1", "node: regtest-demo");
      fs.writeFileSync(path.join(dir, "prometheus.yml"), prom);
      start("prometheus", PROMETHEUS, [
        `--config.file=${path.join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${path.join(dir, "prom-data")}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        "--rules.alert.resend-delay=1s",
      ]);

      const ours = () => received.flatMap((n) => n.alerts).filter((a) => a.labels.alertname === "PeerwatchHeuristic" && a.labels.name === "ping-spam");
      await until(
        () => ours().length > 0,
        50_000,
        () =>
          `webhook got: ${JSON.stringify(received)}\n--- prometheus:\n${logs.prometheus.slice(-1500)}\n--- alertmanager:\n${logs.alertmanager.slice(-1500)}`,
      );
      const alert = ours()[0]!;
      expect(alert.status).toBe("firing");
      expect(alert.labels).toMatchObject({
        alertname: "PeerwatchHeuristic",
        node: "regtest-demo",
        name: "ping-spam",
        severity: "warning",
        peer: "127.0.0.1:45330",
        job: "peerwatch",
      });
      expect(alert.annotations.summary).toBe("peerwatch raised ping-spam for peer 127.0.0.1:45330");
      // info-level heuristics (low-feefilter is in the recording too) are not sent to people.
      expect(received.flatMap((n) => n.alerts).some((a) => a.labels.severity === "info")).toBe(false);
    }, 120_000);
  });
}
