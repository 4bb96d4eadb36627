/**
 * The device's reset bookkeeping (`ptdev->reset` of panthor_device.h, plus the scheduler's
 * `reset.in_progress`): whether a reset is pending, whether the scheduler is between its pre- and
 * post-reset, and whether a failed reset left the device unusable (`panthor_device_unplug()`).
 * Kept beside the driver state of each device, created on first use.
 *
 * {@link scheduleReset} is `panthor_device_schedule_reset()`: the first request queues the reset
 * work ({@link deviceResetWork}); later ones, until it has run, are folded into it.
 */
import { emit, type KTask } from "../ktask.ts";
import type { DriverState } from "../uapi/driverState.ts";
import type { KernelCtx } from "../uapi/ioctlContext.ts";
import { ResetScheduled, resetPaths, type ResetReason } from "./resetEvents.ts";
import { deviceResetWork } from "./resetWork.ts";

/** `ptdev->reset` and the scheduler's reset flag. */
export interface ResetCtl {
  /** `reset.pending`: a reset was asked for and has not finished. */
  pending: boolean;
  /** The reason of the pending reset (the first request's). */
  reason: ResetReason;
  /** `sched->reset.in_progress`: between `panthor_sched_pre_reset()` and `_post_reset()`. */
  inProgress: boolean;
  /** A reset failed: the device is unplugged, nothing runs on it again. */
  unusable: boolean;
  /** Resets completed and failed so far. */
  completed: number;
  failed: number;
}

const CTLS = new WeakMap<DriverState, ResetCtl>();

/** The reset bookkeeping of a device. */
export function resetCtl(d: DriverState): ResetCtl {
  let c = CTLS.get(d);
  if (c === undefined) {
    c = { pending: false, reason: "fw-ping-timeout", inProgress: false, unusable: false, completed: 0, failed: 0 };
    CTLS.set(d, c);
  }
  return c;
}

/** `panthor_device_reset_is_pending()` or a reset running or failed: the scheduler and the watchdog leave the firmware alone. */
export function resetBlocksFirmware(d: DriverState): boolean {
  const c = CTLS.get(d);
  return c !== undefined && (c.pending || c.inProgress || c.unusable);
}

/** Where the reason names a group. */
export interface ResetCulprit {
  readonly file: number;
  readonly group: number;
}

/**
 * `panthor_device_schedule_reset()`: report the request and, unless a reset is already pending
 * (or the device is unusable), mark one pending and queue the reset work.
 */
export function* scheduleReset(kc: KernelCtx, reason: ResetReason, detail: string, culprit?: ResetCulprit): KTask<void> {
  const c = resetCtl(kc.d);
  const queued = !c.pending && !c.unusable;
  yield* emit(ResetScheduled, resetPaths(kc.d.dev.gpu).reset, { reason, detail, ...(culprit ?? {}), queued });
  if (!queued) return;
  c.pending = true;
  c.reason = reason;
  kc.spawn(`reset-work-${c.completed + c.failed + 1}`, deviceResetWork(kc));
}
