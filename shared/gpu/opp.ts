import type { Opp } from "./model.ts";

/**
 * OPP lookups over a table sorted by increasing frequency (the model schema guarantees it), with
 * the semantics of the kernel's `dev_pm_opp_find_freq_*()` and devfreq's `devfreq_recommended_opp()`.
 * Pure; the devfreq governor and the power controller call them.
 */

/** The OPP at exactly `hz` (`dev_pm_opp_find_freq_exact()`), or undefined (-ERANGE in the kernel). */
export function findOppExact(table: readonly Opp[], hz: number): Opp | undefined {
  return table.find((o) => o.hz === hz);
}

/** The slowest OPP at or above `hz` (`dev_pm_opp_find_freq_ceil()`), or undefined when `hz` is above the table. */
export function findOppCeil(table: readonly Opp[], hz: number): Opp | undefined {
  return table.find((o) => o.hz >= hz);
}

/** The fastest OPP at or below `hz` (`dev_pm_opp_find_freq_floor()`), or undefined when `hz` is below the table. */
export function findOppFloor(table: readonly Opp[], hz: number): Opp | undefined {
  for (let i = table.length - 1; i >= 0; i--) {
    const o = table[i]!;
    if (o.hz <= hz) return o;
  }
  return undefined;
}

/**
 * The OPP devfreq would switch to for a governor's target `hz` (`devfreq_recommended_opp()`):
 * by default the ceil, falling back to the floor above the table; with `leastUpperBound`
 * (`DEVFREQ_FLAG_LEAST_UPPER_BOUND`) the floor, falling back to the ceil below the table.
 * Always returns an OPP for a non-empty table.
 */
export function recommendedOpp(table: readonly Opp[], hz: number, leastUpperBound = false): Opp {
  const opp = leastUpperBound
    ? (findOppFloor(table, hz) ?? findOppCeil(table, hz))
    : (findOppCeil(table, hz) ?? findOppFloor(table, hz));
  if (opp === undefined) throw new RangeError("OPP table is empty");
  return opp;
}

/** The slowest OPP (devfreq `min_freq`). */
export function minOpp(table: readonly Opp[]): Opp {
  const o = table[0];
  if (o === undefined) throw new RangeError("OPP table is empty");
  return o;
}

/** The fastest OPP: devfreq `max_freq`, and panthor's `ptdev->fast_rate`. */
export function maxOpp(table: readonly Opp[]): Opp {
  const o = table[table.length - 1];
  if (o === undefined) throw new RangeError("OPP table is empty");
  return o;
}

/** Frequencies in Hz, as sysfs `available_frequencies` lists them. */
export function availableFrequencies(table: readonly Opp[]): number[] {
  return table.map((o) => o.hz);
}
