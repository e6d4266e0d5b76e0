// Event validation: zod (the model's one definition) against the check ajv compiles from it
// (src/events/compiled-check.ts), on the pipeline's real traffic, as events in memory and as NDJSON
// lines (what replay and NATS decode). decodeEvent takes the compiled check and falls back to zod.
import { compare, dist, report } from "../lib.js";
import { PAYLOAD_BYTES, captureTemplates, trafficChunks } from "../traffic.js";

export async function run() {
  const { parseLine } = await dist("ebpf/line-parser.js");
  const { makeEvent, decodeEvent, decodeEventWithZod, encodeEvent } = await dist("events/index.js");
  const events = [];
  for (const chunk of trafficChunks(captureTemplates(), 50_000)) {
    for (const l of chunk) {
      const r = parseLine(l, PAYLOAD_BYTES);
      if (r.kind === "event") events.push(makeEvent("ebpf", "bench", r.type, r.data));
    }
  }
  const lines = events.map(encodeEvent);
  decodeEvent(events[0]); // compile outside the timing (a one-off per type at first use)
  let bad = 0;
  const med = await compare(
    {
      "zod safeParse (decodeEventWithZod)": () => {
        for (const e of events) if (!decodeEventWithZod(e).ok) bad++;
      },
      "compiled check (decodeEvent)": () => {
        for (const e of events) if (!decodeEvent(e).ok) bad++;
      },
      "JSON.parse + zod": () => {
        for (const l of lines) if (!decodeEventWithZod(JSON.parse(l)).ok) bad++;
      },
      "JSON.parse + compiled check": () => {
        for (const l of lines) if (!decodeEvent(JSON.parse(l)).ok) bad++;
      },
      "JSON.parse alone": () => {
        for (const l of lines) JSON.parse(l);
      },
    },
    5,
  );
  if (bad) throw new Error(`${bad} valid events rejected`);
  report(`Validation: ${events.length.toLocaleString("en")} events of the pipeline's traffic`, med, "JSON.parse alone", events.length, "events");
}
