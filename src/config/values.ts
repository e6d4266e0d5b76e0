// Parsers for option values, shared by every option row. Values arrive as strings (flags,
// environment) or JSON values (config file); both are parsed strictly: "0x10", "1e1", true and
// "" are not numbers, and nothing is coerced without a word.
import { z } from "zod";

export interface HostPort {
  host: string;
  port: number;
}

/** Parse `host:port` or `[ipv6]:port`; port 0 means "any free port" (useful in tests). */
export function parseHostPort(s: string): HostPort | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(s.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: (m[1] ?? m[2]) as string, port };
}

export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(":") ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

function toHostPort(s: string, ctx: z.RefinementCtx, example = "127.0.0.1:9432"): HostPort {
  const hp = parseHostPort(s);
  if (hp) return hp;
  ctx.addIssue({ code: "custom", message: `expected host:port (e.g. ${example}), got "${s.slice(0, 100)}"` });
  return z.NEVER;
}

export const hostPort = z.string().transform(toHostPort);

/** host:port, or a bare host (the port then comes from elsewhere; 0 marks "not given"). */
export const hostMaybePort = z.string().transform((s, ctx) => {
  const bare = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+))$/.exec(s.trim());
  if (bare) return { host: (bare[1] ?? bare[2]) as string, port: 0 };
  return toHostPort(s, ctx);
});

/** host:port or "off"; a bad value's message shows `example` (each listener its own default). */
export const hostPortOrOff = (example: string) => z.string().transform((s, ctx) => (s === "off" ? ("off" as const) : toHostPort(s, ctx, example)));

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)$/;

/** A number written in plain decimal (flags, env) or a JSON number (file). Nothing else. */
export const strictNumber = z.unknown().transform((v, ctx) => {
  if (typeof v === "number") {
    if (Number.isFinite(v)) return v;
  } else if (typeof v === "string" && DECIMAL.test(v.trim())) {
    const n = Number(v.trim());
    if (Number.isFinite(n)) return n;
  }
  ctx.addIssue({ code: "custom", message: `expected a decimal number, got ${JSON.stringify(v).slice(0, 40)}` });
  return z.NEVER;
});

/** Seconds, more than 0 and at most `max`. */
export const seconds = (max: number) => strictNumber.pipe(z.number().positive("must be more than 0").max(max, `at most ${max}`));

/** A whole number within bounds. */
export const wholeNumber = (min: number, max: number) =>
  strictNumber.pipe(z.number().int("expected a whole number").min(min, `at least ${min}`).max(max, `at most ${max}`));

export const pathString = z.string().min(1, "must not be empty").max(4096);

/** An on/off switch: a bare flag gives true; env and file accept true/false, 1/0, yes/no. */
export const onOff = z.unknown().transform((v, ctx) => {
  if (typeof v === "boolean") return v;
  const s = typeof v === "string" ? v.trim().toLowerCase() : "";
  if (["true", "1", "yes", "on"].includes(s)) return true;
  if (["false", "0", "no", "off"].includes(s)) return false;
  ctx.addIssue({ code: "custom", message: `expected true or false, got ${JSON.stringify(v).slice(0, 40)}` });
  return z.NEVER;
});

/** A comma list whose items must be among `known`; duplicates dropped, order kept. */
export const commaList = <T extends string>(known: readonly T[], what: string, opts: { nonEmpty?: boolean } = {}) =>
  z.string().transform((s, ctx) => {
    const names = [
      ...new Set(
        s
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean),
      ),
    ];
    const bad = names.find((n) => !(known as readonly string[]).includes(n));
    if (bad !== undefined || (opts.nonEmpty && names.length === 0)) {
      ctx.addIssue({ code: "custom", message: `unknown ${what} "${(bad ?? "").slice(0, 40)}" (known: ${known.join(", ")})` });
      return z.NEVER;
    }
    return names as T[];
  });
