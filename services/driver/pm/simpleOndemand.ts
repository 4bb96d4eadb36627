/**
 * The devfreq `simple_ondemand` governor, as pure integer arithmetic
 * (drivers/devfreq/governor_simpleondemand.c), with panthor's tunables (panthor_devfreq.c:
 * upthreshold 45, downdifferential 5).
 */

/** `struct devfreq_dev_status`: what `get_dev_status` reports for one polling window. */
export interface DevfreqDevStatus {
  /** ns the device was busy during the window. */
  readonly busyTime: number;
  /** ns the window lasted. */
  readonly totalTime: number;
  /** Hz the device ran at (`clk_get_rate(core)` in panthor). */
  readonly currentFrequency: number;
}

/** `struct devfreq_simple_ondemand_data`: 0 selects the governor's default. */
export interface SimpleOndemandData {
  readonly upthreshold: number;
  readonly downdifferential: number;
}

/** The governor's defaults (`DFSO_UPTHRESHOLD`, `DFSO_DOWNDIFFERENCTIAL`). */
export const DFSO_DEFAULTS: SimpleOndemandData = { upthreshold: 90, downdifferential: 5 };

/** What panthor passes to `devm_devfreq_add_device()` (`pdevfreq->gov_data`). */
export const PANTHOR_ONDEMAND: SimpleOndemandData = { upthreshold: 45, downdifferential: 5 };

/**
 * "As fast as possible": the governor's `DEVFREQ_MAX_FREQ` (ULONG_MAX), which `update_devfreq()`
 * clamps to the fastest OPP.
 */
export const DEVFREQ_MAX_FREQ = Number.MAX_SAFE_INTEGER;

/** The thresholds are unusable: upthreshold above 100 or below downdifferential (the governor's -EINVAL). */
export class SimpleOndemandConfigError extends RangeError {
  override readonly name = "SimpleOndemandConfigError";
  constructor(readonly data: SimpleOndemandData) {
    super(`simple_ondemand: upthreshold ${data.upthreshold} must be ≤ 100 and ≥ downdifferential ${data.downdifferential} (-EINVAL)`);
  }
}

/**
 * `devfreq_simple_ondemand_func()`: the frequency the governor asks for after a window.
 *
 * - no time passed → `DEVFREQ_MAX_FREQ`;
 * - both counters ≥ 2^24 are shifted right by 7 first ("prevent overflow");
 * - busy × 100 > total × upthreshold → `DEVFREQ_MAX_FREQ`;
 * - current frequency unknown (0) → `DEVFREQ_MAX_FREQ`;
 * - busy × 100 > total × (upthreshold − downdifferential) → keep the current frequency;
 * - else busy × cur / total × 100 / (upthreshold − downdifferential / 2), each division
 *   truncating as `div_u64` does (and downdifferential / 2 in integers: 5 / 2 = 2).
 *
 * Rounding the answer to an OPP is not the governor's job but `update_devfreq()`'s
 * ({@link devfreqRecommendedTarget}).
 *
 * @example devfreqSimpleOndemandFunc({ busyTime: 15e6, totalTime: 50e6, currentFrequency: 1e9 }) // 697_671_441
 */
export function devfreqSimpleOndemandFunc(stat: DevfreqDevStatus, data: SimpleOndemandData = PANTHOR_ONDEMAND): number {
  const up = data.upthreshold !== 0 ? data.upthreshold : DFSO_DEFAULTS.upthreshold;
  const down = data.downdifferential !== 0 ? data.downdifferential : DFSO_DEFAULTS.downdifferential;
  if (up > 100 || up < down) throw new SimpleOndemandConfigError({ upthreshold: up, downdifferential: down });
  let busy = BigInt(Math.trunc(stat.busyTime));
  let total = BigInt(Math.trunc(stat.totalTime));
  const cur = BigInt(Math.trunc(stat.currentFrequency));
  if (total === 0n) return DEVFREQ_MAX_FREQ;
  if (busy >= 1n << 24n || total >= 1n << 24n) {
    busy >>= 7n;
    total >>= 7n;
  }
  if (busy * 100n > total * BigInt(up)) return DEVFREQ_MAX_FREQ;
  if (cur === 0n) return DEVFREQ_MAX_FREQ;
  if (busy * 100n > total * BigInt(up - down)) return Number(cur);
  const b = ((busy * cur) / total) * 100n;
  return Number(b / BigInt(up - Math.trunc(down / 2)));
}
