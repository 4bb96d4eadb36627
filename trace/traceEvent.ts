/**
 * The Chrome trace-event records tyrsim writes, as Perfetto's JSON importer reads them
 * (`google/perfetto:src/trace_processor/importers/json/json_trace_parser_impl.cc`; ecosystem.md
 * E.1). Only the phases tyrsim emits are modelled.
 */

/** Phases tyrsim emits: slices (`B`/`E`, `X`), instants, counters, metadata and v1 flow ends. */
export type TracePhase = "B" | "E" | "X" | "i" | "C" | "M" | "s" | "f";

/** Slice, instant and counter arguments: plain JSON (counters take numbers only). */
export type TraceArgs = Record<string, unknown>;

/**
 * One trace event. Key order is fixed by the builders below, so the same log always serialises
 * to the same bytes. `ts`/`dur` are microseconds (see {@link usOf}); `bind_id` with
 * `flow_in`/`flow_out` are v2 flows, `id` with `bp` v1 flow ends.
 */
export interface TraceEvent {
  ph: TracePhase;
  name?: string;
  cat?: string;
  pid: number;
  tid?: number;
  ts: number;
  dur?: number;
  /** Instant scope: thread. */
  s?: "t";
  /** v1 flow id (`s`/`f`). */
  id?: number;
  /** v1 flow end binding: the enclosing slice. */
  bp?: "e";
  bind_id?: string;
  flow_in?: boolean;
  flow_out?: boolean;
  args?: TraceArgs;
}

const scratch = new DataView(new ArrayBuffer(8));

/** The next double above a non-negative finite `x`. */
function nextUp(x: number): number {
  scratch.setFloat64(0, x);
  scratch.setBigUint64(0, scratch.getBigUint64(0) + 1n);
  return scratch.getFloat64(0);
}

/**
 * Microseconds for a virtual time in ns, exact to the nanosecond on import. Perfetto turns a JSON
 * number into ns two ways: the tokenizer shifts the decimal text three places (exact), the parser
 * computes `(int64)(value * 1000.0)` for `dur` (which truncates `1.001 × 1000` to 1000). The
 * nearest double to `ns / 1000` satisfies the first; when it falls short of the second, the next
 * double up satisfies both (its decimal text still starts with the exact three decimals).
 *
 * @example usOf(1001) // 1.0010000000000001, read back by Perfetto as 1001 ns either way
 */
export function usOf(ns: number): number {
  const us = ns / 1000;
  return Math.trunc(us * 1000) === ns ? us : nextUp(us);
}

/** A register-sized value as the kernel logs it: `0x50005`. */
export const hex = (n: number): string => `0x${n.toString(16)}`;
