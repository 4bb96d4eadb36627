/**
 * The device reset's facts (panthor.md §4.8, `panthor_device.c`): why a reset was scheduled, each
 * step of `panthor_device_reset_work()` with its outcome, the verdict on every group the reset
 * touched (guilty, innocent and resumed, innocent and lost), and how the reset ended — the GPU
 * running again, or a reported fatal state. Also the firmware watchdog's missed ping. The log,
 * the trace and the audit (`runtime/audit/recovery.ts`) follow a recovery through these.
 */
import { z } from "zod";
import { defineEvent } from "../../../shared/events/registry.ts";

/** Subject paths of the reset side of `drv<N>`. */
export const resetPaths = (gpu: number) => ({
  /** `ResetScheduled`, `ResetStepDone`, `ResetGroupJudged`, `DeviceResetCompleted`, `DeviceResetFailed`. */
  reset: `drv${gpu}.reset`,
  /** `FwPingTimedOut`. */
  watchdog: `drv${gpu}.fw.watchdog`,
});

const id = z.number().int().nonnegative();
const errno = z.number().int().nonpositive();

/** What made the driver schedule a reset (`panthor_device_schedule_reset()` callers). */
export const ResetReasonSchema = z.enum([
  /** `panthor_fw_ping_work`: GLB_PING not acknowledged within 100 ms. */
  "fw-ping-timeout",
  /** A CSG slot did not acknowledge a state change (TERMINATE after a job timeout, SUSPEND, START) within 100 ms. */
  "csg-ack-timeout",
  /** A STATUS_UPDATE of `tick_ctx_init` not acknowledged within 100 ms. */
  "csg-status-timeout",
  /** CS_FATAL with CS_UNRECOVERABLE (0x41). */
  "cs-unrecoverable",
]);
/** A reset reason. */
export type ResetReason = z.infer<typeof ResetReasonSchema>;

/** The steps of `panthor_device_reset_work()`, in order. */
export const ResetStepSchema = z.enum(["sched-pre-reset", "fw-pre-reset", "mmu-pre-reset", "soft-reset", "l2-power", "mmu-post-reset", "fw-post-reset", "sched-post-reset"]);
/** A reset step. */
export type ResetStep = z.infer<typeof ResetStepSchema>;

/** `panthor_device_schedule_reset()`: a reset was asked for (queued, or folded into one already pending). */
export const ResetScheduled = defineEvent(
  "ResetScheduled",
  z.object({
    reason: ResetReasonSchema,
    detail: z.string(),
    /** The group the reason names (the one whose slot did not answer, whose queue died), when there is one. */
    file: id.optional(),
    group: id.optional(),
    /** false when a reset was already pending (the request is folded into it). */
    queued: z.boolean(),
  }),
  "panthor_device_schedule_reset(): the GPU must be reset; the reset work runs once per pending reset.",
);

/** One step of the reset work finished (`errno` 0) or failed. */
export const ResetStepDone = defineEvent(
  "ResetStepDone",
  z.object({ step: ResetStepSchema, errno, detail: z.string() }),
  "A step of panthor_device_reset_work() finished, with its outcome.",
);

/** What the reset decided about one group. */
export const ResetVerdictSchema = z.enum([
  /** The culprit: timed out, faulted or stuck on its slot; terminated, its jobs' fences failed. */
  "guilty",
  /** Suspended cleanly before the reset; resumed afterwards with its work. */
  "innocent-resumed",
  /** Could still run but did not suspend in time: killed as collateral (INNOCENT | TIMEDOUT). */
  "innocent-lost",
]);

/** The reset's verdict on a group that was resident or culpable when it began. */
export const ResetGroupJudged = defineEvent(
  "ResetGroupJudged",
  z.object({ file: id, group: id, verdict: ResetVerdictSchema, flags: id, reason: z.string() }),
  "panthor_sched_pre_reset(): a group was found guilty, or innocent and resumed, or innocent and lost.",
);

/** The reset is over and the GPU runs again: firmware rebooted, groups resumed. */
export const DeviceResetCompleted = defineEvent(
  "DeviceResetCompleted",
  z.object({ reason: ResetReasonSchema, durationNs: id, guilty: id, resumed: id, lost: id }),
  "panthor_device_reset_work() finished: the GPU runs again and the innocent groups were resumed.",
);

/** The reset failed: the device is unusable (`panthor_device_unplug()`), every group terminated. */
export const DeviceResetFailed = defineEvent(
  "DeviceResetFailed",
  z.object({ reason: ResetReasonSchema, step: ResetStepSchema, errno, detail: z.string() }),
  "A reset step failed: the device is made unusable and every remaining group terminated (a reported fatal state).",
);

/** `panthor_fw_ping_work`: the firmware did not acknowledge GLB_PING within 100 ms. */
export const FwPingTimedOut = defineEvent(
  "FwPingTimedOut",
  z.object({ req: id, ack: id, waitedNs: id }),
  "FW ping timeout: the firmware watchdog scheduled a reset.",
);

/** Every reset event type. */
export const resetEvents = [ResetScheduled, ResetStepDone, ResetGroupJudged, DeviceResetCompleted, DeviceResetFailed, FwPingTimedOut] as const;
