// Turns a compare report into sections of rows, printed either as aligned text for the terminal
// or as a markdown report. Both come from the same rows, so they say the same thing.
import type { CompareReport } from "./report.js";

export interface Section {
  title: string;
  /** One sentence on what the section shows. */
  note: string;
  head: string[];
  rows: string[][];
  /** Lines under the table (findings in words). */
  after: string[];
}

const ms = (x: number | null) => (x === null ? "–" : `${x} ms`);
const cpu = (x: number | null) => (x === null ? "not measured" : `${x.toFixed(4)} s/s`);
const clip = (s: string, n = 60) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
/** Node threads always shown in the cost table, measured or not (they are what each source loads). */
const KEY_THREADS = ["b-msghand", "b-net", "b-capnp-loop", "b-nettrace", "b-httpworker.*", "b-http.*"];
/** Listed findings shown per section; --json has them all. */
const MAX_LINES = 10;

export function sections(r: CompareReport): Section[] {
  const out: Section[] = [];
  out.push({
    title: "Sources",
    note: `Events per source over ${r.window.seconds} s, and how each last said it was.`,
    head: ["source", "events", "state", "downs", "capabilities", "detail"],
    rows: Object.entries(r.sources).map(([name, s]) => [
      name,
      String(s.events),
      s.state ?? "–",
      String(s.downs),
      s.capabilities.join(",") || "–",
      clip(s.detail ?? "–", 80),
    ]),
    after: [
      ...(r.input.invalidLines > 0 ? [`${r.input.invalidLines} input lines were not valid events and were skipped.`] : []),
      ...(r.input.lost > 0 ? [`compare itself lost ${r.input.lost} events (its bus queue was full): every count below is short.`] : []),
    ],
  });

  const blockRows = Object.entries(r.blocks);
  out.push({
    title: "Blocks",
    note: "Per source: of the blocks any source reported after the starting tip, how many it reported, and how long after the earliest source.",
    head: ["source", "seen", "first", "median delay", "max delay", "missed", "coalesced"],
    rows: blockRows.map(([name, b]) => [
      name,
      `${b.seen}/${b.of}`,
      b.wholeSeconds ? "n/a" : String(b.first),
      b.wholeSeconds ? "n/a" : ms(b.medianDelayMs),
      b.wholeSeconds ? "n/a" : ms(b.maxDelayMs),
      b.missed.map((m) => String(m.height)).join(",") || "–",
      b.coalesced ? String(b.coalesced) : "–",
    ]),
    after: [
      ...(blockRows.length === 0 ? ["No source reported blocks (no tip.changed, block.connected or getblockchaininfo)."] : []),
      ...blockRows
        .filter(([, b]) => b.wholeSeconds)
        .map(([name]) => `${name}: its times are whole seconds (the node logs without -logtimemicros), so it is left out of first and the delays.`),
      ...blockRows
        .filter(([, b]) => b.coalesced)
        .map(([name, b]) => `${name}: ${b.coalesced} blocks came in a tip jump (connected together, one new tip reported): coalesced, not missed.`),
    ],
  });

  const p = r.peers;
  out.push({
    title: "Peers",
    note: "Distinct peers per source, and peers other sources saw that this one did not.",
    head: ["source", "peers", "missing"],
    rows: Object.entries(p.bySource).map(([name, s]) => [name, String(s.peers), p.missing[name]!.map((m) => `${m.peerId}`).join(",") || "–"]),
    after: [
      `Short-lived connections no poll listed: ${p.shortLived.length === 0 ? "none" : p.shortLived.length}.`,
      ...p.shortLived
        .slice(0, MAX_LINES)
        .map(
          (s) =>
            `  peer ${s.peerId} ${s.addr ?? ""} (${s.connType ?? "?"}, ${Math.round(s.lifetimeMs)} ms, ${s.messages} messages, seen by ${s.seenBy.join("+")})`,
        ),
      ...(p.shortLived.length > MAX_LINES ? [`  … and ${p.shortLived.length - MAX_LINES} more (all in --json).`] : []),
    ],
  });
  if (p.bytesFrom) {
    const tracers = [...new Set(p.bytesPerMsg.flatMap((b) => Object.keys(b.traced)))].sort();
    out.push({
      title: `Bytes per message type (getpeerinfo via ${p.bytesFrom} vs traced messages)`,
      note:
        "Growth of getpeerinfo's per-type byte counters (wire bytes, headers included) against the summed payload sizes traced between the same two " +
        "polls; overhead = bytes per message not in the payload (24 for a v1 header).",
      head: ["type", "dir", "getpeerinfo bytes", ...tracers.flatMap((t) => [`${t} msgs`, `${t} bytes`, `${t} overhead/msg`])],
      rows: p.bytesPerMsg.map((b) => [
        b.msgType,
        b.direction,
        String(b.rpcBytes),
        ...tracers.flatMap((t) => {
          const x = b.traced[t];
          return x ? [String(x.messages), String(x.bytes), x.overheadPerMsg === null ? "–" : String(x.overheadPerMsg)] : ["0", "0", "–"];
        }),
      ]),
      after: [],
    });
  }

  const m = r.messages;
  const tracers = Object.keys(m.bySource);
  out.push({
    title: "Messages",
    note: "Net messages per tracing source: counts and payload bytes, and the drops each source reported.",
    head: ["source", "messages", "bytes", "dropped", "drop reasons"],
    rows: Object.entries(m.bySource).map(([name, s]) => [
      name,
      String(s.messages),
      String(s.bytes),
      String(s.dropped),
      Object.entries(s.dropReasons)
        .map(([k, v]) => `${clip(k, 50)}: ${v}`)
        .join("; ") || "–",
    ]),
    after: [
      ...(m.matched
        ? [
            `Within the ${m.matched.windowMs} ms both traced: ${m.matched.both} messages seen by both, ${Object.entries(m.matched.only)
              .map(([k, v]) => `${v} only by ${k}`)
              .join(", ")}.`,
            ...m.matched.examples.map(
              (x) =>
                `  peer ${x.peerId} ${x.direction} ${x.msgType} (${x.size} bytes): ${Object.entries(x.counts)
                  .map(([k, v]) => `${k} ${v}`)
                  .join(", ")}`,
            ),
          ]
        : tracers.length > 0
          ? ["Only one source traced messages: nothing to match (IPC tracing needs a patched node, eBPF root and bpftrace)."]
          : ["No source traced net messages."]),
      ...(m.ipcDeliveryDelay.samples > 0
        ? [
            `IPC tracing delivery delay (node timestamp to peerwatch): median ${ms(m.ipcDeliveryDelay.medianMs)}, max ${ms(m.ipcDeliveryDelay.maxMs)} over ` +
              `${m.ipcDeliveryDelay.samples} messages.`,
          ]
        : []),
    ],
  });
  if (m.perType.length > 0) {
    out.push({
      title: "Messages per type",
      note: "Count and payload bytes of each message type and direction, per tracing source.",
      head: ["type", "dir", ...tracers.flatMap((t) => [`${t} count`, `${t} bytes`])],
      rows: m.perType
        .slice(0, 40)
        .map((row) => [row.msgType, row.direction, ...tracers.flatMap((t) => [String(row.bySource[t]?.count ?? 0), String(row.bySource[t]?.bytes ?? 0)])]),
      after: m.perType.length > 40 ? [`… and ${m.perType.length - 40} more types.`] : [],
    });
  }

  const c = r.cost;
  const threads = [...new Set([...KEY_THREADS, ...Object.keys(c.node.threads).slice(0, 8)])];
  out.push({
    title: "Cost",
    note: "CPU seconds per second of wall time (1.0 = one core busy), between the first and last sample of each process.",
    head: ["what", "CPU", "over"],
    rows: [
      ["peerwatch", cpu(c.peerwatch.cpuPerSecond), `${c.peerwatch.seconds} s`],
      ["bpftrace", cpu(c.bpftrace.cpuPerSecond), `${c.bpftrace.seconds} s`],
      ["node (all threads)", cpu(c.node.cpuPerSecond), `${c.node.seconds} s`],
      ...threads.map((t) => [
        `  node ${t}`,
        c.node.cpuPerSecond === null ? "not measured" : t in c.node.threads ? cpu(c.node.threads[t]!) : "no such thread",
        "",
      ]),
    ],
    after: [],
  });
  return out;
}

/** Aligned text for the terminal. */
export function renderText(r: CompareReport): string {
  const lines: string[] = [];
  for (const s of sections(r)) {
    lines.push(`== ${s.title}`, s.note);
    const widths = s.head.map((h, i) => Math.max(h.length, ...s.rows.map((row) => (row[i] ?? "").length)));
    const fmt = (row: string[]) =>
      row
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd();
    lines.push(fmt(s.head), fmt(widths.map((w) => "-".repeat(w))), ...s.rows.map(fmt), ...s.after, "");
  }
  return lines.join("\n");
}

/** A markdown report: a heading per section, a table, the findings. */
export function renderMarkdown(r: CompareReport, title = "peerwatch compare"): string {
  const esc = (c: string) => c.replace(/\|/g, "\\|");
  const start = r.window.startTs === null ? "–" : new Date(r.window.startTs / 1000).toISOString();
  const lines = [`# ${title}`, "", `${r.input.events} events from ${start}, over ${r.window.seconds} s.`, ""];
  for (const s of sections(r)) {
    lines.push(`## ${s.title}`, "", s.note, "", `| ${s.head.map(esc).join(" | ")} |`, `|${s.head.map(() => "---").join("|")}|`);
    for (const row of s.rows) lines.push(`| ${row.map((c) => esc(c.trim())).join(" | ")} |`);
    lines.push("");
    if (s.after.length > 0) lines.push(...s.after.map((a) => (a.startsWith("  ") ? `- ${a.trim()}` : a)), "");
  }
  return lines.join("\n");
}
