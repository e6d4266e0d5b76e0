// The one-line progress of a replay on a terminal: events, events/s, percent of the file, time left.
import type { ReplayProgress } from "./player.js";

export function formatProgress(p: ReplayProgress): string {
  const rate = p.passSeconds > 0 ? p.events / p.passSeconds : 0;
  const left = p.fraction > 0 && p.fraction < 1 ? (p.passSeconds * (1 - p.fraction)) / p.fraction : 0;
  const pass = p.pass > 1 ? ` pass ${p.pass}` : "";
  return `replay${pass}: ${p.events} events, ${Math.round(rate)} events/s, ${(p.fraction * 100).toFixed(1)}%, ${formatSeconds(left)} left`;
}

function formatSeconds(s: number): string {
  if (s < 60) return `${Math.ceil(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.ceil(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** Redraws the progress line on a TTY every `everyMs`; does nothing on a pipe. Returns a stop function. */
export function showProgress(out: NodeJS.WriteStream, read: () => ReplayProgress, everyMs = 250): () => void {
  if (!out.isTTY) return () => {};
  const draw = () => out.write(`\r${formatProgress(read())}\x1b[K`);
  const timer = setInterval(draw, everyMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    draw();
    out.write("\n");
  };
}
