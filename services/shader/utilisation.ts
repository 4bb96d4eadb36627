/**
 * Busy-time accounting of the shader cores, as devfreq needs it (`panthor_devfreq_get_dev_status`
 * reports busy and total time since the previous poll, then resets). Pure: the meter is a value,
 * each function returns the next one.
 *
 * Simplified: a core is busy for the whole time a job occupies it (no idle cycles inside a job);
 * the block counts as busy while any core is.
 */
import { coresOf } from "./jobTiming.ts";

/** Busy time accumulated since `windowStartNs`. */
export interface UtilisationMeter {
  readonly windowStartNs: number;
  readonly lastNs: number;
  /** Cores busy since `lastNs`. */
  readonly busyMask: number;
  /** Time any core was busy. */
  readonly busyNs: number;
  /** Busy time per core number. */
  readonly coreBusyNs: Readonly<Record<number, number>>;
}

/** A meter whose window starts at `nowNs` with the cores of `busyMask` busy. */
export function createMeter(nowNs: number, busyMask = 0): UtilisationMeter {
  return { windowStartNs: nowNs, lastNs: nowNs, busyMask, busyNs: 0, coreBusyNs: {} };
}

/** Account time up to `nowNs`, then make the cores of `busyMask` the busy ones. */
export function setBusy(m: UtilisationMeter, nowNs: number, busyMask: number): UtilisationMeter {
  const dt = nowNs - m.lastNs;
  const coreBusyNs: Record<number, number> = { ...m.coreBusyNs };
  for (const c of coresOf(m.busyMask)) coreBusyNs[c] = (coreBusyNs[c] ?? 0) + dt;
  return { ...m, lastNs: nowNs, busyMask, busyNs: m.busyNs + (m.busyMask !== 0 ? dt : 0), coreBusyNs };
}

/** What a window reports: its length, block busy time and per-core busy time for every core of `present`. */
export interface UtilisationReport {
  readonly windowNs: number;
  readonly busyNs: number;
  readonly cores: { core: number; busyNs: number }[];
}

/** Close the window at `nowNs`: the report, and a fresh meter starting there with the same busy cores. */
export function closeWindow(m: UtilisationMeter, nowNs: number, present: number): { report: UtilisationReport; next: UtilisationMeter } {
  const upToNow = setBusy(m, nowNs, m.busyMask);
  const report = {
    windowNs: nowNs - m.windowStartNs,
    busyNs: upToNow.busyNs,
    cores: coresOf(present).map((core) => ({ core, busyNs: upToNow.coreBusyNs[core] ?? 0 })),
  };
  return { report, next: createMeter(nowNs, m.busyMask) };
}
