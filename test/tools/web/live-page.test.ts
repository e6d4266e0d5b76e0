// The live page in a real browser (Debian's chromium via playwright-core) at two widths during a
// looping replay: peers appear, the plots move with their time labels apart, passes and replayed
// sources are marked; and the SSE server cuts off a client that does not read.
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryBus } from "../../../src/bus/index.js";
import { run as playRecording } from "../../../src/tools/record/run.js";
import { startTools, type StartedTools } from "../../../src/cli/start-tools.js";
import { makeEvent } from "../../../src/events/index.js";
import { loadThresholds } from "../../../src/tools/alerts/thresholds.js";
import { loadIpLists } from "../../../src/iplists/load-lists.js";
import { startWebTool } from "../../../src/tools/web/index.js";
import { REPO_ROOT } from "../../helpers/capture.js";
import { peer } from "../../helpers/events.js";
import { T0, captureEvents, quietLog, recordLive } from "../../helpers/recording.js";
import { reportSkip } from "../../helpers/skip.js";

const CHROMIUM = "/usr/bin/chromium";
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pw-web-"));

if (!fs.existsSync(CHROMIUM)) {
  reportSkip("live page in a browser", `no ${CHROMIUM} (apt-get install chromium, or run scripts/setup --test)`);
} else {
  describe("live page in a browser", () => {
    const stop = new AbortController();
    let bus: MemoryBus;
    let tools: StartedTools;
    let played: Promise<unknown>;

    beforeAll(async () => {
      // The shipped recording of a real node when it is there (scripts/screenshot.mjs takes the
      // README's picture from it), else one made from the test capture (25 ms apart: ~10 s).
      let file = path.join(REPO_ROOT, "data/regtest-demo.ndjson.gz");
      let speed = 40;
      if (!fs.existsSync(file)) {
        console.warn(`live page test: ${file} is not in this tree; replaying a recording made from the test capture`);
        file = path.join(dir, "rec.ndjson.gz");
        speed = 10;
        await recordLive(captureEvents(25), file);
      }
      bus = new MemoryBus({ nodeName: "page" });
      tools = (await startTools(
        bus,
        { metrics: "off", nodeName: "page", web: { host: "127.0.0.1", port: 0 } },
        loadThresholds(undefined),
        loadIpLists(),
        quietLog,
      ))!;
      // As the demo plays it: in a loop, each pass said on the bus.
      played = playRecording(
        { files: [file], speed, loop: true, nodeName: "page", label: "test", progress: false },
        { bus, signal: stop.signal, log: quietLog },
      );
    });
    afterAll(async () => {
      stop.abort();
      await played;
      await bus.close();
      await tools.close();
    });

    /** For both plots: each x-axis label's text and its box on the canvas (px), as uPlot drew them. */
    const AXIS_LABELS = `[charts.rates, charts.rtt].map((u) => {
      const ax = u.axes[0];
      u.ctx.save();
      u.ctx.font = ax.font[0];
      const labels = (ax._values || []).map((v, i) => ({ v, x: u.valToPos(ax._splits[i], "x", true), w: v == null ? 0 : u.ctx.measureText(String(v)).width }));
      u.ctx.restore();
      return labels.filter((l) => l.v != null && l.v !== "");
    })`;

    it.each([
      [1280, 1100],
      [420, 900],
    ])(
      "at %i px wide: replay banner, passes, replayed sources, plots that move with labels apart, UTC everywhere; screenshot",
      async (width, height) => {
        const { chromium } = await import("playwright-core");
        const browser = await chromium.launch({
          executablePath: CHROMIUM,
          headless: true,
          args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
        });
        try {
          const page = await browser.newPage({ viewport: { width, height } });
          const errors: string[] = [];
          const missing: string[] = [];
          page.on("pageerror", (e) => errors.push(e.message));
          page.on("response", (r) => r.status() >= 400 && missing.push(`${r.status()} ${r.url()}`));
          await page.goto(tools.web!.url);
          await page.waitForSelector("#peers tbody tr", { timeout: 15000 });
          expect(await page.locator("#peers tbody tr").first().innerText()).toMatch(/127\.0\.0\.1:\d+/);
          expect(await page.locator("#replay").isVisible()).toBe(true);
          expect(await page.locator("#replay-detail").innerText()).toMatch(/This is a replay of a recording, not a live node/);
          // Sources of the recording read "up (replayed)", not a green "up" of this machine.
          await page.waitForFunction(`document.querySelector("#sources tbody").innerText.includes("(replayed)")`, undefined, { timeout: 20000 });
          const greenUp = await page.evaluate(
            `[...document.querySelectorAll("#sources tbody tr")].filter((tr) => tr.cells[1].classList.contains("state-up")).map((tr) => tr.cells[0].innerText)`,
          );
          expect(greenUp).toEqual(["replay"]);
          // The rate plot is drawn and its newest time moves as the replay goes on.
          await page.waitForSelector("#rates canvas", { timeout: 10000 });
          const xmax = () => page.locator("#rates").getAttribute("data-xmax");
          const first = await xmax();
          await page.waitForFunction(`document.getElementById("rates")?.dataset.xmax !== ${JSON.stringify(first)}`, undefined, { timeout: 20000 });
          expect(Number(await xmax())).toBeGreaterThan(Number(first));
          await page.waitForSelector("#rtt canvas");
          expect(await page.locator("#rtt-empty").isVisible()).toBe(false);
          await page.waitForFunction(`document.querySelector("#alerts tbody").innerText.includes("ping-spam")`, undefined, { timeout: 60000 });
          // A second pass: the chain table says which pass each block is from, so heights starting over are no reorg.
          await page.waitForFunction(`/pass [2-9]/.test(document.querySelector("#blocks tbody").innerText)`, undefined, { timeout: 60000 });
          expect(await page.locator("#blocks tbody tr").first().innerText()).toMatch(/^pass [2-9]\b/);
          expect(await page.locator("#replay").innerText()).toMatch(/REPLAY · pass [2-9]/);
          // One time convention: UTC, 24-hour, in the header, the alerts and both axes.
          expect(await page.locator("#clock").innerText()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC · \d+ events$/);
          expect(await page.locator("#alerts tbody tr").first().innerText()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
          const axes = (await page.evaluate(AXIS_LABELS)) as { v: string; x: number; w: number }[][];
          for (const labels of axes) {
            expect(labels.length, JSON.stringify(labels)).toBeGreaterThan(1);
            for (const l of labels) expect(l.v).toMatch(/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/);
            // Labels never overlap: each one's box ends (plus a gap) before the next begins.
            for (let i = 1; i < labels.length; i++)
              expect(labels[i]!.x - labels[i]!.w / 2, `${labels[i - 1]!.v} / ${labels[i]!.v}`).toBeGreaterThan(labels[i - 1]!.x + labels[i - 1]!.w / 2 + 4);
          }
          // Nothing the page asks for is missing (the favicon included).
          const icon = await page.request.get(`${tools.web!.url}favicon.ico`);
          expect(icon.status()).toBe(200);
          expect(icon.headers()["content-type"]).toBe("image/x-icon");
          expect(missing).toEqual([]);
          expect(errors).toEqual([]);
          const shot = path.join(REPO_ROOT, `test/.build/web-${width}.png`);
          fs.mkdirSync(path.dirname(shot), { recursive: true });
          await page.screenshot({ path: shot, fullPage: true });
          expect(fs.statSync(shot).size).toBeGreaterThan(10_000);
        } finally {
          await browser.close();
        }
      },
      120_000,
    );
  });
}

describe("live page server", () => {
  it("cuts off a client that stops reading, counts it, and keeps serving the others", async () => {
    const bus = new MemoryBus({ nodeName: "n" });
    const { Registry } = await import("prom-client");
    const registry = new Registry();
    const web = await startWebTool(bus, { host: "127.0.0.1", port: 0 }, loadIpLists(), registry, { pushIntervalMs: 10, clientBufferBytes: 256 * 1024 });
    // A fat snapshot (500 peers) pushed every 10 ms.
    bus.publish(makeEvent("rpc", "n", "peers.snapshot", { peers: Array.from({ length: 500 }, (_, i) => peer(i)) }, T0));
    const stalled = net.connect(web.address.port, "127.0.0.1");
    stalled.write("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
    stalled.pause(); // never reads
    const reader = await fetch(`${web.url}events`);
    const body = reader.body!.getReader();
    let got = 0;
    const reading = (async () => {
      for (;;) {
        const r = await body.read();
        if (r.done) break;
        got += r.value.length;
      }
    })();
    let cutOff = 0;
    const end = Date.now() + 20000;
    let i = 0;
    while (cutOff === 0 && Date.now() < end) {
      bus.publish(makeEvent("ebpf", "n", "tip.changed", { height: i++, hash: "00".repeat(32) }, T0 + i));
      await new Promise((r) => setTimeout(r, 10));
      cutOff = (await registry.getSingleMetric("peerwatch_web_clients_cut_off_total")!.get()).values[0]?.value ?? 0;
    }
    expect(cutOff).toBe(1);
    expect((await registry.getSingleMetric("peerwatch_web_clients")!.get()).values[0]?.value).toBe(1); // the reader stays
    // The reader still gets what happens next: publish more and wait (bounded) for its bytes.
    const before = got;
    const until = Date.now() + 10000;
    while (got === before && Date.now() < until) {
      bus.publish(makeEvent("ebpf", "n", "tip.changed", { height: i++, hash: "00".repeat(32) }, T0 + i));
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(got).toBeGreaterThan(before);
    stalled.destroy();
    await body.cancel();
    await reading.catch(() => undefined);
    await web.close();
    await bus.close();
  }, 30_000);

  it("serves only its own files, bound to 127.0.0.1", async () => {
    const bus = new MemoryBus({ nodeName: "n" });
    const { Registry } = await import("prom-client");
    const web = await startWebTool(bus, { host: "127.0.0.1", port: 0 }, loadIpLists(), new Registry());
    expect(web.address.host).toBe("127.0.0.1");
    expect((await fetch(`${web.url}uplot.js`)).status).toBe(200);
    expect((await fetch(`${web.url}app.js`)).status).toBe(200);
    expect((await fetch(`${web.url}../package.json`)).status).toBe(404);
    expect((await fetch(`${web.url}index.html`)).status).toBe(404);
    await web.close();
    await bus.close();
  });
});
