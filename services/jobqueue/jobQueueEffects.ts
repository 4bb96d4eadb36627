/**
 * The JobQueue's vocabulary: queue configuration, job submissions, and the effects it asks its
 * shell to carry out or publish (writing a ring, ringing a doorbell, fences signalled, timeouts).
 * Plain readonly data, so the actor wiring can turn each effect into a bus event unchanged.
 *
 * Error codes for lost jobs follow Panthor's `group_term_post_processing` (panthor.md §4.5):
 * -EINVAL for a queue with a fatal CS fault, -ETIMEDOUT for a timed-out group (also the innocent
 * groups a failed reset takes down, which Panthor marks TIMEDOUT|INNOCENT), -ECANCELED otherwise
 * (destroyed, terminated for someone else, unplugged; also tyr-ds `cancel_all()`).
 */
import { ERRNO } from "../../shared/gpu/errno.ts";
import type { DmaFence, FenceId } from "../fence/dmaFence.ts";

/** A queue as the driver names it, e.g. `"g3/q0"` (group handle / queue index). */
export type QueueId = string;
/** A job as the driver names it. */
export type JobId = string;

/** One hardware ring's queue. */
export interface JobQueueConfig {
  readonly id: QueueId;
  /** Ring credits (Panthor: ring size / 8 bytes per instruction). 0 is refused (JQ-01). */
  readonly capacity: number;
  /** Job timeout counting resident time only (Panthor: 5 s); Infinity disables. */
  readonly timeoutNs?: number;
  /** Is the queue's group on a CSG slot at creation? Default false (Panthor: CREATED, not resident). */
  readonly resident?: boolean;
}

/** A job handed to {@link JobQueues.submit}. */
export interface JobSubmission {
  readonly id: JobId;
  /** Ring instructions the job needs; 0 is legal and bypasses credit limiting (JQ-08). */
  readonly credits: number;
  /** Fences (from any queue, VM_BIND or a resolved syncobj) that must signal first. */
  readonly deps?: readonly DmaFence[];
  /** Driver data carried unchanged into `pushToRing` (stream address and size, …). */
  readonly payload?: unknown;
}

/** Why a queue's jobs were lost. */
export type LossReason = "timeout" | "fatal-fault" | "cancelled";

/** Error a lost in-flight job's fence carries (jobs never pushed always get -ECANCELED). */
export function lostJobErrno(reason: LossReason): number {
  return reason === "timeout" ? -ERRNO.ETIMEDOUT : reason === "fatal-fault" ? -ERRNO.EINVAL : -ERRNO.ECANCELED;
}

/** What the JobQueue asks of its shell, or reports. */
export type JobQueueEffect =
  | { readonly type: "pushToRing"; readonly queue: QueueId; readonly job: JobId; readonly seqno: number; readonly credits: number; readonly fence: FenceId; readonly payload: unknown }
  | { readonly type: "ringDoorbell"; readonly queue: QueueId }
  | { readonly type: "kickScheduler"; readonly queue: QueueId }
  | { readonly type: "jobFenceSignalled"; readonly queue: QueueId; readonly job: JobId; readonly seqno: number; readonly fence: FenceId; readonly error: number; readonly atNs: number }
  | { readonly type: "queueTimedOut"; readonly queue: QueueId; readonly job: JobId; readonly atNs: number }
  | { readonly type: "queueKilled"; readonly queue: QueueId; readonly reason: LossReason; readonly errno: number; readonly atNs: number };

/** Result of a JobQueue input: 0 or a negative errno, and the effects it caused. */
export interface JobQueueResult {
  readonly errno: number;
  readonly effects: readonly JobQueueEffect[];
}

/** Result of {@link JobQueues.submit}: the job's done fence on success. */
export interface SubmitResult extends JobQueueResult {
  readonly fence: DmaFence | undefined;
}

/** A queue's state, for tests, GROUP_GET_STATE and dumps. */
export interface QueueSnapshot {
  readonly id: QueueId;
  readonly capacity: number;
  readonly creditsUsed: number;
  readonly resident: boolean;
  readonly waiting: readonly JobId[];
  readonly inFlight: readonly JobId[];
  readonly killed: LossReason | undefined;
  readonly timeoutDeadlineNs: number | undefined;
}
