/**
 * The DRM GPU scheduler (`struct drm_gpu_scheduler`) as a pure model driven by explicit virtual
 * time: run queues per priority, credit-limited submission, the run-job and free-job workers, the
 * TDR timer (kernel-tests.md §4.4 SCHED-D01..D11, D16, D17).
 *
 * Mirrors sched_main.c: `drm_sched_init`, `drm_sched_select_entity` (KERNEL → LOW, stop at the
 * first ready entity that does not fit: -ENOSPC), `drm_sched_rq_select_entity_fifo`/`_rr`,
 * `drm_sched_can_queue` (truncating over-limit jobs), `drm_sched_run_job_work`,
 * `drm_sched_job_begin`, `drm_sched_job_done`/`_done_cb`, `drm_sched_get_finished_job`,
 * `drm_sched_free_job_work`, `drm_sched_start_timeout`, `drm_sched_job_timedout` (with
 * `drm_sched_job_reinsert_on_false_timeout`), `drm_sched_fault`, `drm_sched_tdr_queue_imm`,
 * `drm_sched_suspend_timeout`/`resume_timeout`, `drm_sched_wqueue_stop`/`start`.
 *
 * Simplified: the ordered submit workqueue is an in-object FIFO of work items drained
 * synchronously (also from inside a hardware fence's callback, where the kernel would only queue
 * the work); timers are a deadline the owner fires with {@link DrmGpuScheduler.fireTimers}; the
 * score is entities on run queues plus jobs in flight. Recovery (stop/start/karma/fini) is in
 * schedRecovery.ts.
 */
import { ERRNO } from "../../shared/gpu/errno.ts";
import { addCallback, type DmaFence, type FenceRegistry } from "../fence/dmaFence.ts";
import { entityIsReady, entityPopJob, type DrmSchedEntity } from "./entity.ts";
import { schedFenceFinished, schedFenceScheduled } from "./schedFence.ts";
import type { DrmSchedJob } from "./schedJob.ts";

/** `enum drm_sched_priority`. */
export const DRM_SCHED_PRIORITY = { KERNEL: 0, HIGH: 1, NORMAL: 2, LOW: 3 } as const;
/** `DRM_SCHED_PRIORITY_COUNT`: the most run queues a scheduler may have. */
export const DRM_SCHED_PRIORITY_COUNT = 4;
/** `U32_MAX`, the mock scheduler's default credit limit. */
export const U32_MAX = 0xffff_ffff;

/** `enum drm_gpu_sched_stat` returned by `timedout_job` (SCHED-T04). */
export type DrmGpuSchedStat = "reset" | "enodev" | "no-hang";

/** What `run_job` returns: the hardware fence, nothing, or an `ERR_PTR(errno)`. */
export type RunJobResult = DmaFence | null | { readonly errPtr: number };

/** `struct drm_sched_backend_ops`. */
export interface DrmSchedBackendOps {
  runJob(job: DrmSchedJob, nowNs: number): RunJobResult;
  timedoutJob(job: DrmSchedJob, nowNs: number): DrmGpuSchedStat;
  freeJob(job: DrmSchedJob): void;
  cancelJob?(job: DrmSchedJob, nowNs: number): void;
  prepareJob?(job: DrmSchedJob, entity: DrmSchedEntity): DmaFence | undefined;
}

/** `struct drm_sched_init_args`. */
export interface DrmSchedInit {
  readonly name: string;
  readonly ops: DrmSchedBackendOps;
  readonly registry: FenceRegistry;
  readonly creditLimit?: number;
  /** Deprecated in the kernel; drivers should pass 0. */
  readonly hangLimit?: number;
  /** `MAX_SCHEDULE_TIMEOUT` (Infinity) disables the TDR. */
  readonly timeoutNs?: number;
  readonly numRqs?: number;
  readonly policy?: "fifo" | "rr";
}

/** What the scheduler did, as past-tense facts for logs, tests and the bus. */
export type SchedEvent =
  | { readonly type: "jobQueued"; readonly job: string; readonly entity: string; readonly atNs: number }
  | { readonly type: "jobRun"; readonly job: string; readonly hwFence: number | undefined; readonly atNs: number }
  | { readonly type: "jobFinished"; readonly job: string; readonly error: number; readonly atNs: number }
  | { readonly type: "jobFreed"; readonly job: string; readonly atNs: number }
  | { readonly type: "jobTimedOut"; readonly job: string; readonly status: DrmGpuSchedStat; readonly atNs: number }
  | { readonly type: "jobKilled"; readonly job: string; readonly atNs: number }
  | { readonly type: "creditsTruncated"; readonly job: string; readonly credits: number; readonly atNs: number };

/** `struct drm_sched_rq`: the entities of one priority. */
export interface DrmSchedRq {
  readonly sched: DrmGpuScheduler;
  readonly priority: number;
  readonly entities: DrmSchedEntity[];
  current: DrmSchedEntity | undefined;
}

/** `drm_sched_init`: -EINVAL for more than 4 (or no) run queues or a zero credit limit. */
export function createScheduler(init: DrmSchedInit): DrmGpuScheduler | number {
  const numRqs = init.numRqs ?? DRM_SCHED_PRIORITY_COUNT;
  if (numRqs < 1 || numRqs > DRM_SCHED_PRIORITY_COUNT || (init.creditLimit ?? 1) < 1) return -ERRNO.EINVAL;
  return new DrmGpuScheduler(init, numRqs);
}

type Work = "run" | "free";

/** One scheduler (one ring). Build with {@link createScheduler}. Fields are public for schedRecovery.ts. */
export class DrmGpuScheduler {
  readonly name: string;
  readonly ops: DrmSchedBackendOps;
  readonly registry: FenceRegistry;
  readonly creditLimit: number;
  readonly hangLimit: number;
  readonly numRqs: number;
  readonly policy: "fifo" | "rr";
  readonly rqs: DrmSchedRq[];
  timeoutNs: number;
  creditCount = 0;
  jobsInFlight = 0;
  /** Jobs handed to the hardware and not yet freed, oldest first. */
  readonly pendingList: DrmSchedJob[] = [];
  /** `pause_submit`: workers stopped (stop/fini). */
  pauseSubmit = false;
  freeGuilty = false;
  /** Expiry of the TDR work, if armed. */
  tdrExpiresNs: number | undefined;
  ready = true;
  nowNs = 0;
  private readonly work: Work[] = [];
  private draining = false;
  private fifoSeq = 0;
  private events: SchedEvent[] = [];

  constructor(init: DrmSchedInit, numRqs: number) {
    this.name = init.name;
    this.ops = init.ops;
    this.registry = init.registry;
    this.creditLimit = init.creditLimit ?? U32_MAX;
    this.hangLimit = init.hangLimit ?? 0;
    this.timeoutNs = init.timeoutNs ?? Number.POSITIVE_INFINITY;
    this.numRqs = numRqs;
    this.policy = init.policy ?? "fifo";
    this.rqs = Array.from({ length: numRqs }, (_, priority) => ({ sched: this, priority, entities: [], current: undefined }));
  }

  /** `sched->score`, used by `drm_sched_pick_best`. */
  score(): number {
    return this.rqs.reduce((n, rq) => n + rq.entities.length, 0) + this.jobsInFlight;
  }

  /** Next FIFO tie-break number (rb-tree insertion order). */
  nextFifoSeq(): number {
    return ++this.fifoSeq;
  }

  /** Record an event. */
  record(event: SchedEvent): void {
    this.events.push(event);
  }

  /** Drain the recorded events (for the actor shell and tests). */
  takeEvents(): SchedEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }

  /** Advance this scheduler's notion of now (never backwards). */
  at(nowNs: number): void {
    if (nowNs > this.nowNs) this.nowNs = nowNs;
  }

  /** `drm_sched_wakeup`: queue the run-job work and run the workers. */
  wakeup(nowNs: number): void {
    this.at(nowNs);
    this.queue("run");
    this.drain();
  }

  /** `drm_sched_wqueue_stop`: pause both workers and drop queued work. */
  wqueueStop(): void {
    this.pauseSubmit = true;
    this.work.length = 0;
  }

  /** `drm_sched_wqueue_start`: resume and queue both workers. */
  wqueueStart(nowNs: number): void {
    this.at(nowNs);
    this.pauseSubmit = false;
    this.queue("run");
    this.queue("free");
    this.drain();
  }

  /** `drm_sched_job_done_cb`: the hardware fence signalled. */
  jobDoneFromHw(job: DrmSchedJob, hw: DmaFence): void {
    this.at(hw.timestampNs ?? this.nowNs);
    this.jobDone(job, hw.error);
    this.drain();
  }

  /** `drm_sched_job_done`: return the credits, signal *finished* with `result`, queue the free worker. */
  jobDone(job: DrmSchedJob, result: number): void {
    this.creditCount -= job.credits;
    this.jobsInFlight--;
    const pair = job.sFence!;
    if (!pair.finished.signalled) schedFenceFinished(pair, result, this.nowNs);
    this.record({ type: "jobFinished", job: job.id, error: pair.finished.error, atNs: this.nowNs });
    this.queue("free");
  }

  /** `drm_sched_start_timeout`: (re-)arm the TDR at now + timeout while jobs are pending. */
  startTimeout(): void {
    if (this.timeoutNs !== Number.POSITIVE_INFINITY && this.pendingList.length > 0) this.tdrExpiresNs = this.nowNs + this.timeoutNs;
  }

  /** The next virtual time this scheduler needs {@link fireTimers} called, if any. */
  nextTimerNs(): number | undefined {
    return this.tdrExpiresNs;
  }

  /** Fire the TDR if it is due at `nowNs` (`drm_sched_job_timedout`). */
  fireTimers(nowNs: number): void {
    this.at(nowNs);
    if (this.tdrExpiresNs === undefined || this.tdrExpiresNs > this.nowNs) return;
    this.tdrExpiresNs = undefined;
    let status: DrmGpuSchedStat = "reset";
    const job = this.pendingList.shift();
    if (job) {
      status = this.ops.timedoutJob(job, this.nowNs);
      this.record({ type: "jobTimedOut", job: job.id, status, atNs: this.nowNs });
      if (this.freeGuilty) { this.ops.freeJob(job); this.freeGuilty = false; }
      if (status === "no-hang") { this.pendingList.unshift(job); this.queue("free"); }
    }
    if (status !== "enodev") this.startTimeout();
    this.drain();
  }

  /** `drm_sched_fault`: fire the TDR now (if a timeout is set). */
  fault(nowNs: number): void {
    this.at(nowNs);
    if (this.timeoutNs !== Number.POSITIVE_INFINITY && this.pendingList.length > 0) this.tdrExpiresNs = this.nowNs;
  }

  /** `drm_sched_tdr_queue_imm`: timeout 0 and fire now. */
  tdrQueueImm(nowNs: number): void {
    this.at(nowNs);
    this.timeoutNs = 0;
    this.tdrExpiresNs = this.nowNs;
  }

  /** `drm_sched_suspend_timeout`: park the TDR; returns the remaining time (or the full timeout). */
  suspendTimeout(nowNs: number): number {
    this.at(nowNs);
    const left = this.tdrExpiresNs !== undefined && this.tdrExpiresNs > this.nowNs ? this.tdrExpiresNs - this.nowNs : this.timeoutNs;
    this.tdrExpiresNs = undefined;
    return left;
  }

  /** `drm_sched_resume_timeout`: re-arm with `remainingNs` if jobs are pending, else cancel. */
  resumeTimeout(nowNs: number, remainingNs: number): void {
    this.at(nowNs);
    this.tdrExpiresNs = this.pendingList.length > 0 ? this.nowNs + remainingNs : undefined;
  }

  /** `queue_work` on the ordered submit workqueue: no-op if already queued or paused. */
  queue(work: Work): void {
    if (!this.pauseSubmit && !this.work.includes(work)) this.work.push(work);
  }

  /** Run queued work items until none is left (the workqueue thread). Re-entrant calls return at once. */
  drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let w = this.work.shift(); w && !this.pauseSubmit; w = this.work.shift()) {
        if (w === "run") this.runJobWork();
        else this.freeJobWork();
      }
    } finally {
      this.draining = false;
    }
  }

  /** `drm_sched_can_queue`: truncates a job above the limit (WARN) so it can still run alone. */
  private canQueue(entity: DrmSchedEntity): boolean {
    const job = entity.jobQueue[0];
    if (!job) return false;
    if (job.credits > this.creditLimit) {
      this.record({ type: "creditsTruncated", job: job.id, credits: job.credits, atNs: this.nowNs });
      job.credits = this.creditLimit;
    }
    return this.creditLimit - this.creditCount >= job.credits;
  }

  /** `drm_sched_select_entity`: highest priority first; a ready entity that does not fit stops the search. */
  private selectEntity(): DrmSchedEntity | undefined {
    for (const rq of this.rqs) {
      const picked = this.policy === "fifo" ? this.selectFifo(rq) : this.selectRr(rq);
      if (picked === "enospc") return undefined;
      if (picked) return picked;
    }
    return undefined;
  }

  private selectFifo(rq: DrmSchedRq): DrmSchedEntity | "enospc" | undefined {
    const ready = rq.entities.filter(entityIsReady);
    ready.sort((a, b) => a.oldestJobWaitingNs - b.oldestJobWaitingNs || a.fifoSeq - b.fifoSeq);
    const first = ready[0];
    if (!first) return undefined;
    return this.canQueue(first) ? first : "enospc";
  }

  private selectRr(rq: DrmSchedRq): DrmSchedEntity | "enospc" | undefined {
    const n = rq.entities.length;
    const start = rq.current ? rq.entities.indexOf(rq.current) + 1 : 0;
    for (let k = 0; k < n; k++) {
      const entity = rq.entities[(start + k) % n]!;
      if (!entityIsReady(entity)) continue;
      if (!this.canQueue(entity)) return "enospc";
      rq.current = entity;
      return entity;
    }
    return undefined;
  }

  /** `drm_sched_run_job_work`: pop one job, account its credits, call `run_job`, hook its hardware fence. */
  private runJobWork(): void {
    const entity = this.selectEntity();
    if (!entity) return;
    const job = entityPopJob(entity, this);
    if (!job) { this.queue("run"); return; }
    this.creditCount += job.credits;
    this.pendingList.push(job);
    this.startTimeout();
    this.jobsInFlight++;
    const hw = this.ops.runJob(job, this.nowNs);
    const fence = hw && !("errPtr" in hw) ? hw : undefined;
    this.record({ type: "jobRun", job: job.id, hwFence: fence?.id, atNs: this.nowNs });
    schedFenceScheduled(job.sFence!, fence, this.nowNs);
    if (fence) {
      if (addCallback(fence, job.cb, this.nowNs) === -ERRNO.ENOENT) this.jobDone(job, fence.error);
    } else {
      this.jobDone(job, hw && "errPtr" in hw ? hw.errPtr : 0);
    }
    this.queue("run");
  }

  /** `drm_sched_get_finished_job`: reap the head pending job once finished; re-arm the TDR for the next. */
  private getFinishedJob(): { job: DrmSchedJob | undefined; haveMore: boolean } {
    const job = this.pendingList[0];
    if (!job?.sFence?.finished.signalled) return { job: undefined, haveMore: false };
    this.pendingList.shift();
    this.tdrExpiresNs = undefined;
    const next = this.pendingList[0];
    if (next) this.startTimeout();
    return { job, haveMore: !!next?.sFence?.finished.signalled };
  }

  /** `drm_sched_free_job_work`. */
  private freeJobWork(): void {
    const { job, haveMore } = this.getFinishedJob();
    if (job) {
      this.ops.freeJob(job);
      this.record({ type: "jobFreed", job: job.id, atNs: this.nowNs });
      if (haveMore) this.queue("free");
    }
    this.queue("run");
  }
}
