/**
 * `panthor_device_suspend()` and `panthor_device_resume()` (panthor_device.c, panthor.md §6.1)
 * as kernel tasks: the runtime-PM callbacks of the GPU, step by step in panthor's order, with the
 * submission side's steps taken from its {@link PmDevice} hooks.
 *
 * Simplified: user MMIO mappings are not zapped and re-pointed (tyrsim has no user MMIO page
 * mapping), no reset work to cancel, no pending reset forcing a slow resume; the rails stay on
 * (on RK3588 the GPU's power domain, not panthor, cuts them — and powered-down blocks draw
 * nothing in tyrsim's energy model).
 */
import type { KTask } from "../ktask.ts";
import type { DriverState } from "../uapi/driverState.ts";
import { disableClocks, enableClocks } from "./clocks.ts";
import { gpuResume, gpuSuspend, type GpuPowerState } from "./gpuPower.ts";
import { mmuResume, mmuSuspend } from "./mmuPm.ts";
import type { PmDevice } from "./pmHooks.ts";

/** What the device's PM callbacks work on. */
export interface DevicePmDeps {
  readonly gpu: number;
  /** The model's clocks in panthor's enable order. */
  readonly clocks: readonly string[];
  /** L2_PRESENT (what `panthor_gpu_power_off(L2, l2_present)` powers down). */
  readonly l2Present: number;
  /** `drm_panthor_gpu_info.selected_coherency`, written to COHERENCY_ENABLE at L2 power-on. */
  readonly coherency: number;
  /** The driver's memory side (AS slots, faulty mask). */
  readonly mm: DriverState;
  /** The submission side's hooks (read at each call: they can be attached later). */
  device(): PmDevice;
  /** `panthor_devfreq_suspend()` / `_resume()`. */
  devfreqSuspend(): KTask<void>;
  devfreqResume(): KTask<void>;
}

/** What a suspend leaves for the resume. */
export interface SuspendedDevice {
  /** The firmware halted cleanly (`ptdev->reset.fast`). */
  readonly fast: boolean;
  readonly gpu: GpuPowerState;
}

/**
 * `panthor_device_suspend()`: ACTIVE → SUSPENDING (the caller's status), then
 * `panthor_sched_suspend()`, `panthor_fw_suspend()` (GLB_HALT), `panthor_mmu_suspend()` (ASes
 * off, MMU IRQ masked), `panthor_gpu_suspend()` (L2 off — cores first in tyrsim — or a soft
 * reset when the firmware did not halt; GPU IRQ masked), `panthor_devfreq_suspend()`, and the
 * clocks off (coregroup, stacks, core). Never fails.
 */
export function* panthorDeviceSuspend(d: DevicePmDeps): KTask<SuspendedDevice> {
  const dev = d.device();
  yield* dev.schedSuspend();
  const fast = yield* dev.fwSuspend();
  yield* mmuSuspend(d.mm);
  const gpu = yield* gpuSuspend(fast, d.l2Present);
  yield* d.devfreqSuspend();
  yield* disableClocks(d.gpu, d.clocks);
  return { fast, gpu };
}

/** A resume's outcome: 0, or the errno and the step that failed. */
export type ResumeOutcome = { readonly errno: 0 } | { readonly errno: number; readonly step: "clocks" | "l2-power" | "firmware" };

/**
 * `panthor_device_resume()`: the clocks on (core, stacks, coregroup), `panthor_devfreq_resume()`,
 * then the hardware components — `panthor_gpu_resume()` (GPU IRQ, L2 on), `panthor_mmu_resume()`,
 * `panthor_fw_resume()` — retried once as a slow reset if the fast attempt failed
 * ("Fast reset failed, trying a slow reset"), then `panthor_sched_resume()`. On failure devfreq
 * is suspended again and the clocks gated; the device stays SUSPENDED.
 */
export function* panthorDeviceResume(d: DevicePmDeps, saved: SuspendedDevice): KTask<ResumeOutcome> {
  const clk = yield* enableClocks(d.gpu, d.clocks);
  if (clk !== 0) return { errno: clk, step: "clocks" };
  yield* d.devfreqResume();
  let hw = yield* resumeHwComponents(d, saved, saved.fast);
  if (hw !== undefined && saved.fast) hw = yield* resumeHwComponents(d, saved, false);
  if (hw !== undefined) {
    yield* d.devfreqSuspend();
    yield* disableClocks(d.gpu, d.clocks);
    return hw;
  }
  yield* d.device().schedResume();
  return { errno: 0 };
}

/**
 * `panthor_device_resume_hw_components()`: GPU, MMU, firmware; when the firmware does not come
 * back, the MMU and GPU are suspended again (a slow suspend: soft reset). Undefined on success.
 */
function* resumeHwComponents(d: DevicePmDeps, saved: SuspendedDevice, fast: boolean): KTask<ResumeOutcome | undefined> {
  const l2 = yield* gpuResume(saved.gpu, d.coherency);
  let failed: ResumeOutcome | undefined = l2 !== 0 ? { errno: l2, step: "l2-power" } : undefined;
  if (failed === undefined) {
    yield* mmuResume(d.mm);
    const fw = yield* d.device().fwResume(fast);
    if (fw !== 0) failed = { errno: fw, step: "firmware" };
  }
  if (failed === undefined) return undefined;
  yield* mmuSuspend(d.mm);
  yield* gpuSuspend(false, d.l2Present);
  return failed;
}
