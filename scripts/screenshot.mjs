#!/usr/bin/env node
// Regenerates the README's picture of the live page (docs/img/web.png) from the shipped
// recording: `peerwatch replay data/regtest-demo.ndjson.gz` with the page on, Debian's chromium
// (playwright-core) at 1280 px, taken once the first pass (speed 8: ~25 s) has shown its blocks and the ping-spam
// alert. Needs `npm run build` and /usr/bin/chromium.
// Usage: node scripts/screenshot.mjs [--out docs/img/web.png] [--width 1280]
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : def;
};
const out = path.resolve(arg("--out", path.join(root, "docs/img/web.png")));
const width = Number(arg("--width", "1280"));
const CHROMIUM = "/usr/bin/chromium";
if (!fs.existsSync(CHROMIUM)) {
  console.error(`screenshot: no ${CHROMIUM} (apt-get install chromium)`);
  process.exit(1);
}

const replay = spawn(
  process.execPath,
  [
    path.join(root, "bin/peerwatch.js"),
    "replay",
    path.join(root, "data/regtest-demo.ndjson.gz"),
    "--speed",
    "8",
    "--loop",
    "--web",
    "127.0.0.1:0",
    "--metrics",
    "off",
    "--log-format",
    "json",
    "--node-name",
    "regtest-demo",
  ],
  { stdio: ["ignore", "ignore", "pipe"] },
);
let log = "";
const url = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`no page URL in 20 s:\n${log}`)), 20_000);
  replay.stderr.on("data", (d) => {
    log += d;
    const m = /live page at (http:\/\/[^"\s]+)/.exec(log);
    if (m) {
      clearTimeout(timer);
      resolve(m[1]);
    }
  });
  replay.once("exit", (code) => reject(new Error(`replay exited ${code}:\n${log}`)));
});

const { chromium } = await import("playwright-core");
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync", "--disable-background-networking"],
});
try {
  const page = await browser.newPage({ viewport: { width, height: 1100 } });
  await page.goto(url);
  // The first pass's three blocks and its ping-spam alert: the recording has shown what it holds.
  await page.waitForFunction(
    `document.querySelectorAll("#blocks tbody tr").length >= 3 && document.querySelector("#alerts tbody").innerText.includes("ping-spam")`,
    undefined,
    { timeout: 90_000 },
  );
  if (
    await page
      .locator("#blocks tbody")
      .innerText()
      .then((t) => t.includes("pass 2"))
  )
    throw new Error("the page came up too late: the second pass had begun (a slow machine?); run again");
  await page.waitForTimeout(1500); // one more push, so both plots are drawn with the same data
  fs.mkdirSync(path.dirname(out), { recursive: true });
  await page.screenshot({ path: out, fullPage: true });
  console.log(`screenshot: ${path.relative(process.cwd(), out)} (${fs.statSync(out).size} bytes) from ${url}`);
} finally {
  await browser.close();
  replay.kill("SIGTERM");
}
