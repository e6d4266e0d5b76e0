// The curve of a time-compressed soak as a small SVG: RSS and heap of `replay` and `tools` (MiB)
// against simulated days, the live heap after each probe's full collection as dots, and the series
// count, so growth (or its absence) shows at a glance.
import type { DaysSoakResult } from "./days-soak.js";

const W = 640;
const H = 240;
const PAD = { l: 48, r: 110, t: 24, b: 32 };
/** Each process's heap colour: its heap line and its live-heap dots. */
const HEAP_COLOR = { replay: "#2ca02c", tools: "#d62728" };

export function plotDays(r: DaysSoakResult): string {
  const s = r.samples;
  const maxDays = Math.max(r.days, ...s.map((x) => x.days));
  const lines: [string, string, number[]][] = [
    ["replay RSS", "#1f77b4", s.map((x) => x.replay.rssKib / 1024)],
    ["tools RSS", "#ff7f0e", s.map((x) => x.tools.rssKib / 1024)],
    ["replay heap", HEAP_COLOR.replay, s.map((x) => x.replay.heapBytes / 2 ** 20)],
    ["tools heap", HEAP_COLOR.tools, s.map((x) => x.tools.heapBytes / 2 ** 20)],
  ];
  const top = Math.ceil(Math.max(1, ...lines.flatMap(([, , v]) => v)) / 50) * 50;
  const x = (d: number) => PAD.l + (d / maxDays) * (W - PAD.l - PAD.r);
  const y = (v: number) => H - PAD.b - (v / top) * (H - PAD.t - PAD.b);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${PAD.l}" y="15" font-size="12">peerwatch over ${r.days} simulated days (${r.passes} passes, ${Math.round(r.wallSeconds)} s): MiB</text>`,
  ];
  for (let v = 0; v <= top; v += top / 5)
    out.push(
      `<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${PAD.l - 6}" y="${y(v) + 4}" text-anchor="end">${v}</text>`,
    );
  for (let d = 0; d <= maxDays; d += Math.max(1, Math.round(maxDays / 7)))
    out.push(`<text x="${x(d)}" y="${H - PAD.b + 16}" text-anchor="middle">${d} d</text>`);
  lines.forEach(([name, color, v], i) => {
    const pts = v.map((val, j) => `${x(s[j]!.days).toFixed(1)},${y(val).toFixed(1)}`).join(" ");
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${pts}"/>`);
    out.push(
      `<line x1="${W - PAD.r + 8}" x2="${W - PAD.r + 24}" y1="${PAD.t + 8 + i * 16}" y2="${PAD.t + 8 + i * 16}" stroke="${color}" stroke-width="2"/><text ` +
        `x="${W - PAD.r + 28}" y="${PAD.t + 12 + i * 16}">${name}</text>`,
    );
  });
  // The live heap after each probe's full collection, as dots on the heap lines: what is kept, where
  // the heap lines also show garbage not yet collected.
  for (const p of r.probes)
    for (const [m, color] of [
      [p.replay, HEAP_COLOR.replay],
      [p.tools, HEAP_COLOR.tools],
    ] as const)
      out.push(`<circle cx="${x(p.days).toFixed(1)}" cy="${y(m.heapUsed / 2 ** 20).toFixed(1)}" r="3.5" fill="${color}" stroke="black" stroke-width="0.5"/>`);
  if (r.probes.length)
    out.push(
      `<circle cx="${W - PAD.r + 16}" cy="${PAD.t + 72}" r="3.5" fill="#888" stroke="black" stroke-width="0.5"/><text x="${W - PAD.r + 28}" ` +
        `y="${PAD.t + 76}">live heap</text>`,
    );
  const last = s.at(-1);
  if (last)
    out.push(
      `<text x="${W - PAD.r + 8}" y="${PAD.t + 90}">series: ${last.replay.series}</text><text x="${W - PAD.r + 8}" y="${PAD.t + 106}">fds: ` +
        `${last.replay.fds} / ${last.tools.fds}</text>`,
    );
  out.push("</svg>");
  return out.join("\n") + "\n";
}
