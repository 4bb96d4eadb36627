import type { Opp } from "../../shared/gpu/model.ts";

/**
 * The order in which an OPP switch touches the rail and the clock, as `_set_opp()` in
 * drivers/opp/core.c (behind `dev_pm_opp_set_rate()`) does it: scaling up, the regulator is raised
 * before the clock so the new frequency never runs undervolted; scaling down, the clock is lowered
 * first and the regulator after. With the same voltage only the clock moves (the regulator core
 * returns early for an unchanged request, without delay).
 */
export type OppSwitchOrder = "clock-only" | "voltage-then-clock" | "clock-then-voltage";

/** How `_set_opp()` orders the switch from `from` to `to` (it compares by frequency: `_opp_compare_key()`). */
export function oppSwitchOrder(from: Opp, to: Opp): OppSwitchOrder {
  if (to.microvolt === from.microvolt) return "clock-only";
  return to.hz > from.hz ? "voltage-then-clock" : "clock-then-voltage";
}

/**
 * How long the kernel waits after changing a rail's voltage, in ns: `_regulator_set_voltage_time()`
 * with a DT `regulator-ramp-delay` in µV/µs, DIV_ROUND_UP(|Δ µV|, ramp) µs, in both directions.
 * A ramp of 0 (no constraint) means no wait.
 *
 * @example voltageSettleNs(675_000, 850_000, 12_500) // 14_000: 175 mV at 12.5 mV/µs
 */
export function voltageSettleNs(fromMicrovolt: number, toMicrovolt: number, rampMicrovoltPerUs: number): number {
  if (rampMicrovoltPerUs <= 0) return 0;
  return Math.ceil(Math.abs(toMicrovolt - fromMicrovolt) / rampMicrovoltPerUs) * 1000;
}
