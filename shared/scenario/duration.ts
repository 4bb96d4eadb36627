import { z } from "zod";

const UNITS: Record<string, number> = { ns: 1, us: 1_000, µs: 1_000, ms: 1_000_000, s: 1_000_000_000 };

/** Parse `250us`, `1.5ms`, `2s` or a bare number of ns into integer nanoseconds; undefined if malformed. */
export function parseDurationNs(text: string | number): number | undefined {
  if (typeof text === "number") return Number.isInteger(text) && text >= 0 ? text : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s)\s*$/.exec(text);
  if (m === null) return undefined;
  const ns = Math.round(Number(m[1]) * (UNITS[m[2] as string] as number));
  return Number.isSafeInteger(ns) ? ns : undefined;
}

/** A zod schema for a virtual-time duration in scenario files; yields nanoseconds. */
export const DurationSchema = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ns = parseDurationNs(v);
  if (ns === undefined) {
    ctx.addIssue({ code: "custom", message: `expected a duration like 250us, 1.5ms or 2s (or integer ns), got '${String(v)}'` });
    return z.NEVER;
  }
  return ns;
});

/** Human-readable form of a duration in ns (for summaries). */
export function formatNs(ns: number): string {
  if (ns >= 1_000_000_000) return `${(ns / 1_000_000_000).toFixed(3)} s`;
  if (ns >= 1_000_000) return `${(ns / 1_000_000).toFixed(3)} ms`;
  if (ns >= 1_000) return `${(ns / 1_000).toFixed(3)} µs`;
  return `${ns} ns`;
}
