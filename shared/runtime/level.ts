import type { OrderKey } from "../time/scheduler.ts";

/**
 * A level of the canonical order: one causal depth of one instant. Everything that happens at a
 * level — events delivered, timers fired — can only cause things at later levels (a reaction in
 * the same instant has depth + 1; a timer due now does too), so the actors of a run can handle a
 * whole level at once, in any number of processes, and still produce what one process handling
 * items one by one produces. This is what the embedded runtime and the multi-process coordinator
 * both step through.
 */
export interface Level {
  readonly timeNs: number;
  readonly depth: number;
}

/** The level of an order key. */
export const levelOf = (k: OrderKey): Level => ({ timeNs: k.timeNs, depth: k.depth });

/** Is `k` (an order key, or another level) at level `l`? */
export const atLevel = (k: Level, l: Level): boolean => k.timeNs === l.timeNs && k.depth === l.depth;

/** Is level `a` before level `b` in the canonical order? */
export const levelLess = (a: Level, b: Level): boolean => a.timeNs < b.timeNs || (a.timeNs === b.timeNs && a.depth < b.depth);

/** The earlier of two levels (undefined counts as "none"). */
export function minLevel(a: Level | undefined, b: Level | undefined): Level | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (a.timeNs !== b.timeNs) return a.timeNs < b.timeNs ? a : b;
  return a.depth <= b.depth ? a : b;
}

/** The later of two levels (undefined counts as "none"). */
export function maxLevel(a: Level | undefined, b: Level | undefined): Level | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return levelLess(a, b) ? b : a;
}
