/**
 * The GPU clocks around runtime PM, in `panthor_device_resume()` / `_suspend()` order: `core`,
 * `stacks`, `coregroup` on; `coregroup`, `stacks`, `core` off. Optional clocks the model lacks
 * are skipped (`devm_clk_get_optional` gives a NULL clock, which enables as a no-op).
 */
import type { Envelope } from "../../../shared/events/envelope.ts";
import { EventRegistry } from "../../../shared/events/registry.ts";
import { ERRNO } from "../../../shared/gpu/errno.ts";
import { powerPaths } from "../../power/powerService.ts";
import { ClockDisableRequested, ClockEnableFailed, ClockEnableRequested, ClockStateChanged } from "../../power/supplyEvents.ts";
import { emit, waitFor, type KTask } from "../ktask.ts";

/** How long a clock may take to answer an enable (assumed, as at probe). */
export const CLOCK_ANSWER_TIMEOUT_NS = 5_000_000;

/** panthor's enable order; disable is the reverse. */
export const PANTHOR_CLOCK_ORDER = ["core", "stacks", "coregroup"] as const;

/** The model's clocks in panthor's enable order. */
export function clocksInEnableOrder(modelClocks: readonly string[]): string[] {
  return PANTHOR_CLOCK_ORDER.filter((c) => modelClocks.includes(c));
}

/** `clk_prepare_enable()`: 0 once the clock runs, its -errno, or -ETIMEDOUT when nothing answers. */
export function* clkPrepareEnable(gpu: number, clock: string): KTask<number> {
  yield* emit(ClockEnableRequested, powerPaths(gpu).cmd, { clock });
  const answer = yield* waitFor((e: Envelope) => {
    if (EventRegistry.is(ClockStateChanged, e) && e.payload.clock === clock && e.payload.enabled) return 0;
    if (EventRegistry.is(ClockEnableFailed, e) && e.payload.name === clock) return e.payload.errno;
    return undefined;
  }, CLOCK_ANSWER_TIMEOUT_NS);
  return answer ?? -ERRNO.ETIMEDOUT;
}

/** `clk_disable_unprepare()` (void in the kernel: nothing to wait for). */
export function* clkDisableUnprepare(gpu: number, clock: string): KTask<void> {
  yield* emit(ClockDisableRequested, powerPaths(gpu).cmd, { clock });
}

/** Enable `clocks` in order; on a failure disable those already on, in reverse, and return the errno. */
export function* enableClocks(gpu: number, clocks: readonly string[]): KTask<number> {
  for (let i = 0; i < clocks.length; i++) {
    const err = yield* clkPrepareEnable(gpu, clocks[i]!);
    if (err === 0) continue;
    for (let j = i - 1; j >= 0; j--) yield* clkDisableUnprepare(gpu, clocks[j]!);
    return err;
  }
  return 0;
}

/** Disable `clocks` (given in enable order) in reverse. */
export function* disableClocks(gpu: number, clocks: readonly string[]): KTask<void> {
  for (let i = clocks.length - 1; i >= 0; i--) yield* clkDisableUnprepare(gpu, clocks[i]!);
}
