/**
 * What sits between GROUP_SUBMIT and a queue's ring: the dependency and credit gate that decides
 * when a job is written to the ring, gives each job its done fence, and signals the fences when
 * the firmware's sync object says the jobs finished. Two implementations with one contract, so
 * the same submissions can run through either:
 *
 * - {@link jobQueueBackend}: the Rust JobQueue Tyr moves to (`services/jobqueue/jobQueue.ts`,
 *   panthor.md §8.3): a job waits only for its dependencies and ring credits;
 * - `drmSchedBackend` (drmSchedBackend.ts): panthor's drm_gpu_scheduler + entity per queue
 *   (panthor.md §4.2: credit_limit = ring size / 8, timeout 5 s, hang_limit 0, one run queue).
 *
 * Both speak the JobQueue's effect vocabulary (`pushToRing`, `ringDoorbell`, `kickScheduler`,
 * `jobFenceSignalled`, `queueTimedOut`, `queueKilled`), which the scheduler's job worker carries out.
 */
import type { DmaFence, FenceRegistry } from "../../fence/index.ts";
import { JobQueues, type JobQueueEffect, type LossReason } from "../../jobqueue/index.ts";
import type { SchedulerMode } from "./schedTypes.ts";

/** One job as the backend takes it. */
export interface BackendJob {
  readonly id: string;
  /** Ring instructions (words) the job needs; 0 for a sync-point job. */
  readonly credits: number;
  readonly deps: readonly DmaFence[];
  readonly payload: unknown;
}

/** The contract of a queue backend (see the module comment). */
export interface QueueBackend {
  readonly mode: SchedulerMode;
  /** A queue with `capacity` ring credits and panthor's 5 s timeout; 0 or a negative errno. */
  createQueue(qid: string, capacity: number, timeoutNs: number, nowNs: number): number;
  /** Submit a job: its done fence and seqno, or a negative errno (unknown or dead queue). */
  submit(qid: string, job: BackendJob, nowNs: number): { readonly errno: number; readonly fence?: DmaFence; readonly seqno?: number };
  /** The firmware finished job `seqno` of the queue (with `error`). */
  complete(qid: string, seqno: number, nowNs: number, error?: number): void;
  /** The queue's group was bound to, or evicted from, a CSG slot. */
  setResident(qid: string, resident: boolean, nowNs: number): void;
  /** The queue is dead: every job's fence signals, with the reason's error. */
  kill(qid: string, reason: LossReason, nowNs: number): void;
  /** The earliest timeout, for the job worker's timer. */
  nextDeadlineNs(): number | undefined;
  /** Fire the timeouts due at `nowNs`. */
  advanceTo(nowNs: number): void;
  /** Effects caused since the last call, in order. */
  takeEffects(): JobQueueEffect[];
}

/** The JobQueue backend: one `JobQueues` for the device, effects gathered from every input. */
export function jobQueueBackend(registry: FenceRegistry): QueueBackend {
  const jq = new JobQueues(registry);
  const out: JobQueueEffect[] = [];
  const keep = (r: { readonly effects: readonly JobQueueEffect[] }) => void out.push(...r.effects);
  return {
    mode: "jobqueue",
    createQueue: (qid, capacity, timeoutNs) => jq.createQueue({ id: qid, capacity, timeoutNs, resident: false }),
    submit(qid, job, nowNs) {
      const r = jq.submit(qid, { id: job.id, credits: job.credits, deps: job.deps, payload: job.payload }, nowNs);
      keep(r);
      return r.fence === undefined ? { errno: r.errno } : { errno: 0, fence: r.fence, seqno: Number(r.fence.seqno) };
    },
    complete: (qid, seqno, nowNs, error = 0) => keep(jq.jobCompleted(qid, seqno, nowNs, error)),
    setResident: (qid, resident, nowNs) => keep(jq.setResident(qid, resident, nowNs)),
    kill: (qid, reason, nowNs) => keep(jq.killQueue(qid, reason, nowNs)),
    nextDeadlineNs: () => jq.nextDeadlineNs(),
    advanceTo: (nowNs) => keep(jq.advanceTo(nowNs)),
    takeEffects() {
      out.push(...jq.takeEffects());
      return out.splice(0);
    },
  };
}
