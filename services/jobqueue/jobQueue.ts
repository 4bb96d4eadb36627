/**
 * The JobQueue for firmware-scheduled GPUs (kernel-tests.md §5, panthor.md §8.3): per ring, a job
 * waits only for its dependency fences and for ring credits, is then pushed to the ring (an effect)
 * with a doorbell, and its done fence signals when the firmware reports completion (an input).
 * No run queues, priorities or karma: the firmware arbitrates between rings.
 *
 * Mirrors the Rust `drm::jq` RFC (v2, Feb 2026) and its tyr-ds evolution: `Jobqueue::new` (capacity
 * 0 → EINVAL, JQ-01), `submit_job` returning the done fence, head-of-line blocking in submission
 * order (JQ-06), cost taken at push and returned at completion (JQ-07, JQ-08), dependency
 * callbacks with already-signalled fences counted at once (JQ-09), at most one worker pass per
 * queue at a time (JQ-10), done fences signalled in submission order (JQ-11) even when completions
 * are reported out of order, and `cancel_all()` with -ECANCELED (tyr-ds). Adds what the RFC leaves
 * TODO, Panthor-style: a per-queue timeout over resident time (queueTimeout.ts) and killing a queue
 * so every pending fence signals exactly once with an error (JQ-12, JQ-13).
 *
 * Simplified: the worker runs synchronously at the end of each input (or of the fence callback that
 * made progress possible); completion is reported per job (`jobCompleted`) or Panthor-style by the
 * sync object's seqno (`syncUpdate`); a job with more credits than the ring is refused (-EINVAL)
 * rather than truncated; dependency errors are not propagated (a container does not invent errors,
 * FENCE-E05), the job runs anyway as under drm_sched.
 */
import { ERRNO } from "../../shared/gpu/errno.ts";
import { addCallback, fenceCallback, signal, type DmaFence, type FenceRegistry } from "../fence/dmaFence.ts";
import {
  lostJobErrno, type JobId, type JobQueueConfig, type JobQueueEffect, type JobQueueResult, type JobSubmission,
  type LossReason, type QueueId, type QueueSnapshot, type SubmitResult,
} from "./jobQueueEffects.ts";
import { timeoutActive, timeoutExpired, timeoutInit, timeoutRestart, timeoutResume, timeoutStop, timeoutSuspend, type QueueTimeout } from "./queueTimeout.ts";

interface JobEntry {
  readonly id: JobId;
  readonly seqno: number;
  readonly credits: number;
  readonly fence: DmaFence;
  readonly deps: readonly DmaFence[];
  readonly payload: unknown;
  pendingDeps: number;
  hwDone: boolean;
  hwError: number;
}

interface QueueState {
  readonly cfg: JobQueueConfig;
  readonly context: number;
  nextSeqno: number;
  readonly waiting: JobEntry[];
  readonly inFlight: JobEntry[];
  creditsUsed: number;
  resident: boolean;
  killed: LossReason | undefined;
  readonly timeout: QueueTimeout;
}

/**
 * All JobQueues of one device, sharing the fence registry and one effect outbox. Every input
 * returns the effects it caused; effects caused by a fence signalled from outside (a dependency
 * from VM_BIND, another driver) are collected with {@link JobQueues.takeEffects}.
 *
 * @example
 * const jq = new JobQueues(registry);
 * jq.createQueue({ id: "g1/q0", capacity: 512, timeoutNs: 5e9, resident: true });
 * const { fence, effects } = jq.submit("g1/q0", { id: "j1", credits: 24 }, now); // pushToRing + ringDoorbell
 * jq.jobCompleted("g1/q0", 1, later); // jobFenceSignalled, fence.signalled === true
 */
export class JobQueues {
  private readonly queues = new Map<QueueId, QueueState>();
  private outbox: JobQueueEffect[] = [];
  private readonly runnable: QueueState[] = [];
  private depth = 0;
  private nowNs = 0;

  constructor(readonly registry: FenceRegistry) {}

  /** `Jobqueue::new`: -EINVAL for a capacity below 1, -EEXIST for a known id. */
  createQueue(cfg: JobQueueConfig): number {
    if (!(cfg.capacity >= 1)) return -ERRNO.EINVAL;
    if (this.queues.has(cfg.id)) return -ERRNO.EEXIST;
    this.queues.set(cfg.id, {
      cfg, context: this.registry.contextAlloc(1), nextSeqno: 0, waiting: [], inFlight: [], creditsUsed: 0,
      resident: cfg.resident ?? false, killed: undefined, timeout: timeoutInit(),
    });
    return 0;
  }

  /**
   * `submit_job`: the job's done fence (context per queue, seqno 1, 2, 3…). -EINVAL for an unknown
   * or killed queue (Panthor refuses submits to a dead group) or credits outside [0, capacity].
   */
  submit(queueId: QueueId, sub: JobSubmission, nowNs: number): SubmitResult {
    const q = this.queues.get(queueId);
    if (!q || q.killed || !Number.isInteger(sub.credits) || sub.credits < 0 || sub.credits > q.cfg.capacity) {
      return { errno: -ERRNO.EINVAL, effects: [], fence: undefined };
    }
    return this.input(nowNs, () => {
      const seqno = ++q.nextSeqno;
      const fence = this.registry.create({ context: q.context, seqno, driverName: "tyrsim-jobqueue", timelineName: q.cfg.id });
      const job: JobEntry = { id: sub.id, seqno, credits: sub.credits, fence, deps: [...(sub.deps ?? [])], payload: sub.payload, pendingDeps: 0, hwDone: false, hwError: 0 };
      for (const dep of job.deps) {
        const cb = fenceCallback((f) => {
          if (--job.pendingDeps === 0) this.schedule(q, f.timestampNs ?? this.nowNs);
        });
        if (addCallback(dep, cb, this.nowNs) === 0) job.pendingDeps++;
      }
      q.waiting.push(job);
      this.schedule(q, this.nowNs);
      return { errno: 0, fence };
    });
  }

  /**
   * The firmware finished job `seqno` of a queue (with `error`, e.g. a CS fault). Its fence signals
   * once every earlier job of the queue has (timeline order); -ENOENT if no such job is in flight.
   */
  jobCompleted(queueId: QueueId, seqno: number, nowNs: number, error = 0): JobQueueResult {
    const q = this.queues.get(queueId);
    const job = q === undefined ? undefined : inFlightJob(q, seqno);
    if (!q || !job || job.hwDone) return { errno: -ERRNO.ENOENT, effects: [] };
    return this.input(nowNs, () => {
      job.hwDone = true;
      job.hwError = error;
      this.retire(q);
      return { errno: 0 };
    });
  }

  /** Panthor's `group_sync_upd_work`: the queue's sync object reached `seqno`; every job up to it is done. */
  syncUpdate(queueId: QueueId, seqno: number, nowNs: number): JobQueueResult {
    const q = this.queues.get(queueId);
    if (!q) return { errno: -ERRNO.EINVAL, effects: [] };
    return this.input(nowNs, () => {
      for (const job of q.inFlight) if (job.seqno <= seqno) job.hwDone = true;
      this.retire(q);
      return { errno: 0 };
    });
  }

  /** The queue's group was bound to (true) or evicted from (false) a CSG slot: resume or park the timeout. */
  setResident(queueId: QueueId, resident: boolean, nowNs: number): JobQueueResult {
    const q = this.queues.get(queueId);
    if (!q) return { errno: -ERRNO.EINVAL, effects: [] };
    return this.input(nowNs, () => {
      if (resident !== q.resident) {
        q.resident = resident;
        if (resident) timeoutResume(q.timeout, this.nowNs);
        else timeoutSuspend(q.timeout, this.nowNs);
      }
      return { errno: 0 };
    });
  }

  /**
   * The queue is dead (timeout, fatal fault, destroy, reset that lost it): every in-flight fence
   * signals now, in seqno order, with {@link lostJobErrno} (a job whose completion was already
   * reported keeps its own result); every waiting job's fence signals -ECANCELED in order, each once
   * its dependencies have. Later submits fail; later completions are ignored. Idempotent.
   */
  killQueue(queueId: QueueId, reason: LossReason, nowNs: number): JobQueueResult {
    const q = this.queues.get(queueId);
    if (!q) return { errno: -ERRNO.EINVAL, effects: [] };
    if (q.killed) return { errno: 0, effects: [] };
    return this.input(nowNs, () => {
      q.killed = reason;
      timeoutStop(q.timeout);
      this.outbox.push({ type: "queueKilled", queue: q.cfg.id, reason, errno: lostJobErrno(reason), atNs: this.nowNs });
      for (let job = q.inFlight.shift(); job; job = q.inFlight.shift()) {
        q.creditsUsed -= job.credits;
        this.signalJob(q, job, job.hwDone ? job.hwError : lostJobErrno(reason));
      }
      this.schedule(q, this.nowNs);
      return { errno: 0 };
    });
  }

  /** The earliest armed timeout, for the shell's timer. */
  nextDeadlineNs(): number | undefined {
    let t: number | undefined;
    for (const q of this.queues.values()) if (q.timeout.deadlineNs !== undefined && (t === undefined || q.timeout.deadlineNs < t)) t = q.timeout.deadlineNs;
    return t;
  }

  /** Fire every timeout due at `nowNs`: `queueTimedOut` for the head job, then the queue is killed. */
  advanceTo(nowNs: number): JobQueueResult {
    return this.input(nowNs, () => {
      for (const q of this.queues.values()) {
        if (!timeoutExpired(q.timeout, this.nowNs)) continue;
        this.outbox.push({ type: "queueTimedOut", queue: q.cfg.id, job: q.inFlight[0]?.id ?? "", atNs: this.nowNs });
        this.killQueue(q.cfg.id, "timeout", this.nowNs);
      }
      return { errno: 0 };
    });
  }

  /** Effects caused since the last input returned (e.g. by an outside fence signalling a dependency). */
  takeEffects(): JobQueueEffect[] {
    const out = this.outbox;
    this.outbox = [];
    return out;
  }

  /** A queue's state. */
  inspect(queueId: QueueId): QueueSnapshot | undefined {
    const q = this.queues.get(queueId);
    if (!q) return undefined;
    return {
      id: q.cfg.id, capacity: q.cfg.capacity, creditsUsed: q.creditsUsed, resident: q.resident, killed: q.killed,
      waiting: q.waiting.map((j) => j.id), inFlight: q.inFlight.map((j) => j.id), timeoutDeadlineNs: q.timeout.deadlineNs,
    };
  }

  /** Run `body` as one input: advance time, run the workers it made runnable, return the effects. */
  private input<T extends { errno: number }>(nowNs: number, body: () => T): T & { effects: readonly JobQueueEffect[] } {
    if (nowNs > this.nowNs) this.nowNs = nowNs;
    this.depth++;
    let result: T;
    try {
      result = body();
    } finally {
      this.depth--;
    }
    this.drain();
    // The body's result is a fresh literal nobody else holds, so the effects are added to it in
    // place rather than copied into a new object by a spread.
    const out = result as T & { effects: readonly JobQueueEffect[] };
    out.effects = this.depth === 0 ? this.takeEffects() : [];
    return out;
  }

  private schedule(q: QueueState, atNs: number): void {
    if (atNs > this.nowNs) this.nowNs = atNs;
    if (!this.runnable.includes(q)) this.runnable.push(q);
    if (this.depth === 0) this.drain();
  }

  private drain(): void {
    if (this.depth > 0) return;
    this.depth++;
    try {
      for (let q = this.runnable.shift(); q; q = this.runnable.shift()) this.work(q);
    } finally {
      this.depth--;
    }
  }

  /** The queue's worker pass: push ready jobs in order while credits last, or cancel them if killed. */
  private work(q: QueueState): void {
    const wasIdle = q.inFlight.length === 0;
    let pushed = 0;
    for (let job = q.waiting[0]; job && job.pendingDeps === 0; job = q.waiting[0]) {
      if (q.killed) {
        q.waiting.shift();
        this.signalJob(q, job, -ERRNO.ECANCELED);
        continue;
      }
      if (job.credits > q.cfg.capacity - q.creditsUsed) break;
      q.waiting.shift();
      q.creditsUsed += job.credits;
      q.inFlight.push(job);
      pushed++;
      this.outbox.push({ type: "pushToRing", queue: q.cfg.id, job: job.id, seqno: job.seqno, credits: job.credits, fence: job.fence.id, payload: job.payload });
    }
    if (pushed === 0) return;
    this.outbox.push(q.resident ? { type: "ringDoorbell", queue: q.cfg.id } : { type: "kickScheduler", queue: q.cfg.id });
    if (wasIdle || !timeoutActive(q.timeout)) timeoutRestart(q.timeout, q.cfg.timeoutNs ?? Number.POSITIVE_INFINITY, q.resident, this.nowNs);
  }

  /** Signal the done fences of the in-flight head while the firmware has finished it; return credits. */
  private retire(q: QueueState): void {
    let progressed = false;
    for (let job = q.inFlight[0]; job?.hwDone; job = q.inFlight[0]) {
      q.inFlight.shift();
      q.creditsUsed -= job.credits;
      this.signalJob(q, job, job.hwError);
      progressed = true;
    }
    if (!progressed) return;
    if (q.inFlight.length > 0) timeoutRestart(q.timeout, q.cfg.timeoutNs ?? Number.POSITIVE_INFINITY, q.resident, this.nowNs);
    else timeoutStop(q.timeout);
    this.schedule(q, this.nowNs);
  }

  private signalJob(q: QueueState, job: JobEntry, error: number): void {
    this.outbox.push({ type: "jobFenceSignalled", queue: q.cfg.id, job: job.id, seqno: job.seqno, fence: job.fence.id, error, atNs: this.nowNs });
    signal(job.fence, this.nowNs, error || undefined);
  }
}

/**
 * The in-flight job with `seqno`. Jobs enter the ring in seqno order and leave it from the head, so
 * in-flight seqnos are consecutive and the job sits at `seqno - head.seqno`: one index instead of a
 * search per completion. The search stays as the fallback, so the answer never depends on that.
 */
function inFlightJob(q: QueueState, seqno: number): JobEntry | undefined {
  const head = q.inFlight[0];
  if (head === undefined) return undefined;
  const guess = q.inFlight[seqno - head.seqno];
  return guess?.seqno === seqno ? guess : q.inFlight.find((j) => j.seqno === seqno);
}
