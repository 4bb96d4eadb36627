/**
 * How long shader work takes: a job's cost is cycles of one core, spread evenly over the cores
 * it runs on, each at the GPU clock. Pure functions; the job machine calls them at start and at
 * every frequency change.
 *
 * Simplified: perfect scaling over cores, no memory stalls, no contention between jobs that
 * share cores, every core of a job at the same clock.
 */
import { popcount } from "../../shared/gpu/model.ts";

/** Virtual ns for `cycles` on the cores of `cores` at `hz`: ⌈cycles / (cores × hz)⌉ s. */
export function runTimeNs(cycles: number, cores: number, hz: number): number {
  const n = popcount(cores);
  if (n === 0 || hz <= 0) throw new RangeError(`no cores (0x${cores.toString(16)}) or no clock (${hz} Hz) to run on`);
  return Math.ceil((cycles * 1e9) / (n * hz));
}

/** Cycles the cores of `cores` at `hz` retire in `elapsedNs` (whole cycles, never more than `cycles`). */
export function cyclesRetired(cycles: number, cores: number, hz: number, elapsedNs: number): number {
  return Math.min(cycles, Math.floor((elapsedNs * popcount(cores) * hz) / 1e9));
}

/** The set bits of a core mask, ascending (core numbers). */
export function coresOf(mask: number): number[] {
  const out: number[] = [];
  for (let bit = 0; bit < 32; bit++) if (Math.floor(mask / 2 ** bit) % 2 === 1) out.push(bit);
  return out;
}
