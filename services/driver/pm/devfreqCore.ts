/**
 * The pure parts of one devfreq poll around the governor: what panthor reports as the device's
 * status, and how devfreq turns the governor's wish into an OPP. The kernel task that runs them
 * on the bus is `devfreq.ts`.
 */
import type { Opp } from "../../../shared/gpu/model.ts";
import { maxOpp, minOpp, recommendedOpp } from "../../../shared/gpu/opp.ts";
import type { DevfreqDevStatus } from "./simpleOndemand.ts";

/** The shader cores' answer to `ShaderUtilisationRequested` (block busy time over their window). */
export interface ShaderWindow {
  readonly windowNs: number;
  readonly busyNs: number;
}

/**
 * `panthor_devfreq_get_dev_status()`: total = busy + idle time since the counters were last
 * reset, busy = busy time, current frequency = the `core` clock's rate; the counters are reset
 * after each report (the shader cores restart their window when they answer).
 *
 * Simplified: panthor accumulates busy/idle from the scheduler's `panthor_devfreq_record_busy()`
 * / `_record_idle()` ("the GPU has work"); tyrsim measures busy time where it happens, as "any
 * shader core busy". A resume also resets the counters (`panthor_devfreq_resume()` →
 * `panthor_devfreq_reset()`); the shader cores' window still spans the suspended time, so the
 * total is cut to the time since `resetAtNs` (nothing is busy while suspended).
 */
export function panthorDevStatus(window: ShaderWindow, currentHz: number, nowNs: number, resetAtNs: number): DevfreqDevStatus {
  const totalTime = Math.max(0, Math.min(window.windowNs, nowNs - resetAtNs));
  return { busyTime: Math.min(window.busyNs, totalTime), totalTime, currentFrequency: currentHz };
}

/** busy / total of a status (0 for an empty window): the `load` devfreq traces. */
export function loadOf(stat: DevfreqDevStatus): number {
  return stat.totalTime === 0 ? 0 : stat.busyTime / stat.totalTime;
}

/**
 * `devfreq_update_target()` after the governor answered, through `panthor_devfreq_target()`: the
 * wish is clamped to [min_freq, max_freq] (below → min with the greatest-lower-bound flag
 * cleared, above → max with `DEVFREQ_FLAG_LEAST_UPPER_BOUND`), then `devfreq_recommended_opp()`
 * picks the OPP — the slowest at or above it by default, the fastest at or below it with the flag.
 * Simplified: no PM QoS or sysfs min/max limits; the range is the OPP table's.
 *
 * @example devfreqRecommendedTarget(rk3588, 697_671_441).hz // 700 MHz (ceil)
 */
export function devfreqRecommendedTarget(table: readonly Opp[], governorHz: number): Opp {
  const min = minOpp(table).hz;
  const max = maxOpp(table).hz;
  if (governorHz > max) return recommendedOpp(table, max, true);
  return recommendedOpp(table, Math.max(governorHz, min), false);
}
