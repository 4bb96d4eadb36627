/**
 * The contract between the driver's runtime PM and its submission side (the scheduler and
 * firmware code in `services/driver/sched/` and `services/driver/fw/`), in both directions:
 *
 * - {@link RuntimePm} is what the submission side calls — the `pm_runtime_*` API panthor's
 *   scheduler uses (`panthor_sched.c`: `pm_runtime_resume_and_get()` before touching the
 *   firmware, `pm_runtime_mark_last_busy()` + `pm_runtime_put_autosuspend()` after, and one
 *   reference held while any group has work: `sched->pm.has_ref`).
 * - {@link PmDevice} is what the submission side implements — the steps of
 *   `panthor_device_suspend()` / `panthor_device_resume()` that belong to it
 *   (`sched/activity.ts` attaches them once the device is up). Until one is attached,
 *   {@link NO_SUBMISSION_SIDE} stands in: every step is a documented no-op.
 *
 * See this folder's README for the rules both sides follow.
 */
import type { KTask } from "../ktask.ts";
import type { RpmStatus } from "./rpmDecider.ts";

/** The submission side's part of suspend and resume, run by runtime PM as kernel tasks in panthor's order. */
export interface PmDevice {
  /**
   * True when no group has work (nothing runnable or resident and busy). Checked when the
   * autosuspend timer expires, before suspending: false refuses the suspend (-EBUSY) and the GPU
   * stays ACTIVE until the next `putAutosuspend()`. A safety net: the scheduler's reference
   * (`has_ref`) is what normally keeps the GPU up.
   */
  isIdle(): boolean;
  /**
   * `panthor_sched_suspend()`: SUSPEND every resident group that can run and TERMINATE the
   * others (CSG requests, 100 ms acknowledge wait, TERMINATE on timeout), flush the caches so
   * suspend buffers reach memory, unbind every CSG slot. First step of the suspend.
   */
  schedSuspend(): KTask<void>;
  /**
   * `panthor_fw_suspend()` = `panthor_fw_pre_reset(on_hang = false)` + `panthor_fw_stop()`:
   * cancel the ping work, request GLB_HALT, poll MCU_STATUS == HALT for ≤ 100 ms, mask JOB_INT.
   * Returns true when the MCU halted (`reset.fast`: the firmware's RAM state is valid and resume
   * may restart it without reloading); false makes `panthor_gpu_suspend()` soft-reset the GPU.
   */
  fwSuspend(): KTask<boolean>;
  /**
   * `panthor_fw_resume()` = `panthor_fw_post_reset()`: re-enable AS0 for the MCU; fast: clear
   * the GLB_HALT request and `panthor_fw_start()`; slow: reload every section, then start;
   * then `panthor_fw_init_global_iface()`. Runs after L2 is back on and the MMU interrupt
   * unmasked. 0, or -errno (runtime PM then powers the GPU down again and, after a fast
   * attempt, retries once with `fast = false`).
   */
  fwResume(fast: boolean): KTask<number>;
  /** `panthor_sched_resume()`: an immediate scheduler tick. Last step of the resume. */
  schedResume(): KTask<void>;
}

/** The runtime-PM API of the driver (drivers/base/power/runtime.c, as panthor calls it). */
export interface RuntimePm {
  /**
   * `pm_runtime_resume_and_get()`: take a usage reference and sleep until the GPU is ACTIVE.
   * Resolves 0, or the resume's -errno — the reference is then not kept.
   */
  resumeAndGet(): KTask<number>;
  /** `pm_runtime_get()`: take a reference; a suspended GPU resumes in the background. */
  get(): void;
  /** `pm_runtime_get_if_active()`: take a reference only when ACTIVE (true); never wakes the GPU. */
  getIfActive(): boolean;
  /** `pm_runtime_mark_last_busy()`: the autosuspend delay counts from now. */
  markLastBusy(): void;
  /** `pm_runtime_put_autosuspend()`: drop a reference; at zero the autosuspend hrtimer is armed. */
  putAutosuspend(): void;
  /** `runtime_status` (= panthor's `ptdev->pm.state`). */
  status(): RpmStatus;
  /** Plug the submission side's suspend/resume steps in, replacing {@link NO_SUBMISSION_SIDE}. */
  attachDevice(device: PmDevice): void;
}

/**
 * The hooks in force until the submission side attaches its own: no scheduler (nothing to
 * suspend), no firmware (nothing to halt — reported as halted, so the GPU suspend takes the fast
 * path and only powers L2 down), idle whenever runtime PM asks. Activity is then known only
 * through the references of `SubmissionPending` and the GPU-touching requests
 * (`submissionGate.ts`).
 */
export const NO_SUBMISSION_SIDE: PmDevice = {
  isIdle: () => true,
  schedSuspend: () => immediately(undefined),
  fwSuspend: () => immediately(true),
  fwResume: () => immediately(0),
  schedResume: () => immediately(undefined),
};

/** A kernel task that takes no step and returns `value`: a hook with nothing to do. */
export function* immediately<T>(value: T): KTask<T> {
  yield* [];
  return value;
}
