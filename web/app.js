// The live page's script: plain browser JavaScript, no build step. It listens to /events (one JSON
// snapshot of the live view per message) and redraws tables and the two uPlot charts.
/* global uPlot */
"use strict";

const $ = (id) => document.getElementById(id);
const COLORS = ["#2f6fdd", "#d9480f", "#2b8a3e", "#ae3ec9", "#e67700", "#0b7285", "#c2255c", "#5f3dc4", "#495057", "#868e96", "#99a"];
const charts = { rates: null, ratesKey: "", rtt: null };
let updates = 0;

function text(s) {
  const span = document.createElement("span");
  span.textContent = s == null ? "–" : String(s);
  return span;
}

function fillTable(id, rows) {
  const body = $(id).querySelector("tbody");
  const frag = document.createDocumentFragment();
  for (const cells of rows) {
    const tr = document.createElement("tr");
    for (const c of cells) {
      const td = document.createElement("td");
      if (c && typeof c === "object" && "text" in c) {
        td.append(text(c.text));
        if (c.cls) td.className = c.cls;
      } else td.append(text(c));
      tr.append(td);
    }
    frag.append(tr);
  }
  body.replaceChildren(frag);
}

// One time convention on the whole page: UTC, 24-hour, in the header, the tables and both plot axes.
const time = (us) => (us ? new Date(us / 1000).toISOString().replace("T", " ").slice(0, 19) + " UTC" : "");
const pad = (n) => String(n).padStart(2, "0");
/** An axis tick (unix seconds) as HH:MM:SS UTC; HH:MM when every tick is on a whole minute. */
function tickLabels(_u, splits) {
  const whole = splits.every((s) => s % 60 === 0);
  return splits.map((s) => {
    const d = new Date(s * 1000);
    return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${whole ? "" : `:${pad(d.getUTCSeconds())}`}`;
  });
}
/** Tick steps in seconds, none more than 2.5× the one before (uPlot's own go from 1 min to 5 min). */
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400];
/**
 * The x axis of both plots: UTC labels at least 60 px apart, so "HH:MM:SS" (about 55 px) never
 * overlaps. With steps that grow by at most 2.5×, the step uPlot picks is under 2.5 × 60 = 150 px,
 * so a plot 300 px wide (a phone) always shows two labels or more.
 */
const TIME_AXIS = { label: "time (UTC)", values: tickLabels, space: 60, incrs: TIME_STEPS, size: 50 };
/** The cursor's time in the legend, UTC like the rest. */
const cursorTime = (_u, v) => (v == null ? "–" : time(v * 1e6).slice(11));

function chartWidth(el) {
  return Math.max(300, el.parentElement.clientWidth - 24);
}

function drawRates(r) {
  const el = $("rates");
  const key = r.types.join(",");
  const data = [r.t, ...r.perSecond];
  if (!charts.rates || charts.ratesKey !== key) {
    charts.rates?.destroy();
    charts.ratesKey = key;
    charts.rates = new uPlot(
      {
        width: chartWidth(el),
        height: 220,
        scales: { x: { time: true } },
        series: [{ label: "time", value: cursorTime }, ...r.types.map((t, i) => ({ label: t, stroke: COLORS[i % COLORS.length], width: 1.5 }))],
        axes: [TIME_AXIS, { label: "msg/s" }],
      },
      data,
      el,
    );
  } else charts.rates.setData(data);
  el.dataset.xmax = String(r.t[r.t.length - 1] ?? "");
}

function drawRtt(r) {
  const el = $("rtt");
  $("rtt-empty").hidden = r.t.length > 0;
  const data = [r.t, r.ms];
  if (!charts.rtt) {
    charts.rtt = new uPlot(
      {
        width: chartWidth(el),
        height: 180,
        scales: { x: { time: true } },
        series: [
          { label: "time", value: cursorTime },
          { label: "RTT ms", stroke: "#2f6fdd", width: 1.5, points: { show: true, size: 4 } },
        ],
        axes: [TIME_AXIS, { label: "ms" }],
      },
      data,
      el,
    );
  } else charts.rtt.setData(data);
  el.dataset.xmax = String(r.t[r.t.length - 1] ?? "");
}

function render(s) {
  updates++;
  document.body.dataset.updates = String(updates);
  $("replay").hidden = !s.replay.active;
  $("replay").textContent = s.replay.pass > 1 ? `REPLAY · pass ${s.replay.pass}` : "REPLAY";
  document.body.classList.toggle("replaying", s.replay.pass > 0);
  $("replay-detail").hidden = !s.replay.active;
  $("replay-detail").textContent = s.replay.active ? `This is a replay of a recording, not a live node: ${s.replay.detail}` : "";
  $("clock").textContent = `${time(s.now)} · ${s.events} events`;
  // A recording's "ipc up" is not a source of this machine: it reads "up (replayed)", not green.
  fillTable(
    "sources",
    s.sources.map((x) => [
      x.source,
      x.replayed ? { text: `${x.state} (replayed)`, cls: "state-replayed" } : { text: x.state, cls: `state-${x.state}` },
      { text: x.detail, cls: "detail" },
    ]),
  );
  $("tip").textContent = s.tip
    ? `tip ${s.tip.height} ${s.tip.hash.slice(0, 16)}… at ${time(s.tip.ts)}${s.tip.pass ? ` (replay pass ${s.tip.pass})` : ""}`
    : "no tip yet";
  fillTable(
    "blocks",
    s.blocks.map((b) => [
      { text: b.pass ? `pass ${b.pass}` : "", cls: "replay-only" },
      b.height,
      { text: `${b.hash.slice(0, 20)}…`, cls: "mono" },
      b.txs,
      b.connectMs.toFixed(1),
    ]),
  );
  $("peer-count").textContent = s.peersTotal > s.peers.length ? `(${s.peers.length} of ${s.peersTotal})` : `(${s.peersTotal})`;
  fillTable(
    "peers",
    s.peers.map((p) => [
      p.id,
      { text: p.addr, cls: "mono" },
      p.network,
      p.direction,
      p.connectionType,
      p.transport,
      p.pingMs == null ? null : p.pingMs.toFixed(1),
      p.minFeeFilterSatVb,
      p.lists.join(", ") || "",
    ]),
  );
  fillTable(
    "alerts",
    s.alerts.map((a) => [time(a.ts), a.name, { text: a.severity, cls: `sev-${a.severity}` }, a.peerId, a.count, { text: a.detail, cls: "detail" }]),
  );
  $("alerts-empty").hidden = s.alerts.length > 0;
  drawRates(s.rates);
  drawRtt(s.rtt);
}

function connect() {
  const es = new EventSource("/events");
  es.onopen = () => ($("conn").textContent = "live");
  es.onerror = () => ($("conn").textContent = "reconnecting…");
  es.onmessage = (m) => {
    try {
      render(JSON.parse(m.data));
    } catch (e) {
      $("conn").textContent = `bad update: ${e.message}`;
    }
  };
}

window.addEventListener("resize", () => {
  for (const c of [charts.rates, charts.rtt]) if (c) c.setSize({ width: chartWidth(c.root.parentElement), height: c.height });
});
connect();
