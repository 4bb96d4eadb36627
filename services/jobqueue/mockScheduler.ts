/**
 * The drm_sched KUnit mock hardware (kernel-tests.md §4.1), in virtual time: one hardware timeline
 * per scheduler, jobs that finish after a duration or only when the test advances the timeline, a
 * `timedout_job` that honours DONT_RESET, and a `cancel_job` for teardown. A {@link MockWorld} owns
 * the clock and fires the mock's job timers and each scheduler's TDR in time order.
 *
 * Mirrors drivers/gpu/drm/scheduler/tests/mock_scheduler.c: `mock_sched_run_job` (finish_at
 * chained on the previous hardware job), `drm_mock_sched_job_signal_timer`, `drm_mock_sched_advance`,
 * `mock_sched_timedout_job`, `mock_sched_cancel_job`, `mock_sched_free_job`, and the helpers
 * `drm_mock_sched_job_wait_scheduled`/`_finished`. Simplified: waits advance virtual time instead of
 * sleeping; hardware timers due at the same instant fire together, before the TDR.
 */
import { ERRNO } from "../../shared/gpu/errno.ts";
import { FenceRegistry, signal, type DmaFence } from "../fence/dmaFence.ts";
import { createScheduler, DrmGpuScheduler, U32_MAX, type DrmGpuSchedStat } from "./drmSched.ts";
import { entityInit, entityPushJob, type DrmSchedEntity } from "./entity.ts";
import { jobArm, jobCleanup, jobInit, type DrmSchedJob } from "./schedJob.ts";

/** `DRM_MOCK_SCHED_JOB_*` flags (RESET_SKIPPED's value is assumed, kernel-tests.md §6 item 5). */
export const MOCK_JOB_FLAG = { DONE: 0x1, TIMEDOUT: 0x2, DONT_RESET: 0x4, RESET_SKIPPED: 0x8 } as const;
/** `MOCK_TIMEOUT = HZ / 5`. */
export const MOCK_TIMEOUT_NS = 200_000_000;

/** `struct drm_mock_sched_job`. */
export interface MockJob {
  readonly base: DrmSchedJob;
  durationNs: number;
  flags: number;
  hwFence: DmaFence | undefined;
  hwSeqno: number;
  finishAtNs: number;
  timerArmed: boolean;
  freed: boolean;
}

/** `struct drm_mock_scheduler`: a scheduler plus its hardware timeline. */
export class MockScheduler {
  readonly base: DrmGpuScheduler;
  readonly hwContext: number;
  nextSeqno = 0;
  curSeqno = 0;
  /** Jobs on the hardware, in submission order. */
  readonly jobList: MockJob[] = [];
  readonly jobs = new Map<DrmSchedJob, MockJob>();

  constructor(private readonly world: MockWorld, args: { name: string; timeoutNs?: number; creditLimit?: number }) {
    const base = createScheduler({
      name: args.name, registry: world.registry, creditLimit: args.creditLimit ?? U32_MAX, hangLimit: 1,
      timeoutNs: args.timeoutNs ?? Number.POSITIVE_INFINITY,
      ops: {
        runJob: (job, now) => this.runJob(job, now),
        timedoutJob: (job, now) => this.timedoutJob(job, now),
        freeJob: (job) => { const m = this.jobs.get(job); if (m) m.freed = true; jobCleanup(job); },
        cancelJob: (job, now) => this.cancelJob(job, now),
      },
    });
    if (typeof base === "number") throw new Error(`mock scheduler ${args.name}: drm_sched_init failed with ${base}`);
    this.base = base;
    this.hwContext = world.registry.contextAlloc(1);
  }

  /** `drm_mock_sched_advance(num)`: complete hardware jobs up to cur_seqno + num; returns how many. */
  advance(num: number): number {
    if (this.curSeqno + num > U32_MAX) return 0;
    this.curSeqno += num;
    // Collect first, then signal (the kernel moves them to a local list under its lock), so a job
    // that run_job adds while these signal is not completed by this call.
    let due = 0;
    while (due < this.jobList.length && this.jobList[due]!.hwSeqno <= this.curSeqno) due++;
    return this.complete(this.jobList.splice(0, due));
  }

  /** Earliest armed job timer. */
  nextTimerNs(): number | undefined {
    let t: number | undefined;
    for (const j of this.jobList) if (j.timerArmed && (t === undefined || j.finishAtNs < t)) t = j.finishAtNs;
    return t;
  }

  /** Fire every job timer due at `nowNs` (`drm_mock_sched_job_signal_timer`). */
  fireTimers(nowNs: number): void {
    if (!this.jobList.some((j) => j.timerArmed && j.finishAtNs <= nowNs)) return;
    for (const j of this.jobList) if (j.finishAtNs <= nowNs) j.timerArmed = false;
    let due = 0;
    while (due < this.jobList.length && this.jobList[due]!.durationNs && this.jobList[due]!.finishAtNs <= nowNs) due++;
    const done = this.jobList.splice(0, due);
    if (done.length > 0) this.curSeqno = done[done.length - 1]!.hwSeqno;
    this.complete(done);
  }

  private complete(jobs: MockJob[]): number {
    for (const j of jobs) {
      j.flags |= MOCK_JOB_FLAG.DONE;
      j.timerArmed = false;
      signal(j.hwFence, this.world.nowNs);
    }
    return jobs.length;
  }

  private runJob(job: DrmSchedJob, nowNs: number): DmaFence {
    const m = this.jobs.get(job)!;
    m.hwSeqno = ++this.nextSeqno;
    m.hwFence = this.world.registry.create({ context: this.hwContext, seqno: m.hwSeqno, driverName: "drm_mock_sched", timelineName: this.base.name });
    if (m.durationNs) {
      const prev = this.jobList[this.jobList.length - 1];
      m.finishAtNs = (prev?.finishAtNs || nowNs) + m.durationNs;
      m.timerArmed = true;
    }
    this.jobList.push(m);
    return m.hwFence;
  }

  private timedoutJob(job: DrmSchedJob, nowNs: number): DrmGpuSchedStat {
    const m = this.jobs.get(job)!;
    if (m.flags & MOCK_JOB_FLAG.DONT_RESET) {
      m.flags |= MOCK_JOB_FLAG.RESET_SKIPPED;
      return "no-hang";
    }
    if (m.hwFence && !m.hwFence.signalled) {
      this.jobList.splice(this.jobList.indexOf(m), 1);
      m.flags |= MOCK_JOB_FLAG.TIMEDOUT;
      m.timerArmed = false;
      signal(m.hwFence, nowNs, -ERRNO.ETIMEDOUT);
    }
    jobCleanup(job);
    return "reset";
  }

  private cancelJob(job: DrmSchedJob, nowNs: number): void {
    const m = this.jobs.get(job)!;
    m.timerArmed = false;
    if (m.hwFence && !m.hwFence.signalled) {
      this.jobList.splice(this.jobList.indexOf(m), 1);
      signal(m.hwFence, nowNs, -ERRNO.ECANCELED);
    }
  }
}

/** The test's clock and the schedulers it drives. */
export class MockWorld {
  nowNs = 0;
  readonly registry = new FenceRegistry();
  readonly scheds: MockScheduler[] = [];
  private jobCount = 0;
  private entityCount = 0;

  /** `drm_mock_sched_new(test, timeout)`. */
  createScheduler(args: { timeoutNs?: number; creditLimit?: number } = {}): MockScheduler {
    const s = new MockScheduler(this, { name: `drm-mock-scheduler-${this.scheds.length}`, ...args });
    this.scheds.push(s);
    return s;
  }

  /** `drm_mock_sched_entity_new(test, priority, sched)`. */
  createEntity(priority: number, sched: MockScheduler, name = `entity${this.entityCount++}`): DrmSchedEntity {
    const e = entityInit(this.registry, { name, priority, schedList: [sched.base] });
    if (typeof e === "number") throw new Error(`entity ${name}: init failed with ${e}`);
    return e;
  }

  /** `drm_mock_sched_job_new(test, entity)` with an optional duration and flags. */
  createJob(entity: DrmSchedEntity, opts: { durationNs?: number; flags?: number; credits?: number } = {}): MockJob {
    const base = jobInit({ id: `job${this.jobCount++}`, entity, credits: opts.credits ?? 1 });
    if (typeof base === "number") throw new Error(`job on ${entity.name}: init failed with ${base}`);
    const mock = this.schedOf(entity);
    const m: MockJob = { base, durationNs: opts.durationNs ?? 0, flags: opts.flags ?? 0, hwFence: undefined, hwSeqno: 0, finishAtNs: 0, timerArmed: false, freed: false };
    mock.jobs.set(base, m);
    return m;
  }

  /** `drm_mock_sched_job_submit`: arm and push. */
  submit(job: MockJob): number {
    jobArm(job.base);
    const owner = this.scheds.find((s) => s.base === job.base.sched)!;
    owner.jobs.set(job.base, job);
    return entityPushJob(job.base, this.nowNs);
  }

  /** The next time anything is due: a hardware job timer or a TDR. */
  nextEventNs(): number | undefined {
    let t: number | undefined;
    for (const s of this.scheds) for (const c of [s.nextTimerNs(), s.base.nextTimerNs()]) if (c !== undefined && (t === undefined || c < t)) t = c;
    return t;
  }

  /** Advance to `tNs`, firing everything due on the way in time order. */
  advanceTo(tNs: number): void {
    this.runUntil(() => false, tNs - this.nowNs);
  }

  /** Run events until `done()` holds or `timeoutNs` of virtual time passes; returns `done()`. */
  runUntil(done: () => boolean, timeoutNs: number): boolean {
    const deadline = this.nowNs + timeoutNs;
    for (;;) {
      if (done()) return true;
      const t = this.nextEventNs();
      if (t === undefined || t > deadline) {
        if (deadline !== Number.POSITIVE_INFINITY) this.nowNs = Math.max(this.nowNs, deadline);
        return done();
      }
      this.nowNs = Math.max(this.nowNs, t);
      for (const s of this.scheds) s.fireTimers(this.nowNs);
      for (const s of this.scheds) s.base.fireTimers(this.nowNs);
    }
  }

  /** `drm_mock_sched_job_wait_scheduled(job, timeout)`. */
  waitScheduled(job: MockJob, timeoutNs: number): boolean {
    return this.runUntil(() => !!job.base.sFence?.scheduled.signalled, timeoutNs);
  }

  /** `drm_mock_sched_job_wait_finished(job, timeout)`: the mock's DONE flag, not the finished fence. */
  waitFinished(job: MockJob, timeoutNs: number): boolean {
    return this.runUntil(() => (job.flags & MOCK_JOB_FLAG.DONE) !== 0, timeoutNs);
  }

  private schedOf(entity: DrmSchedEntity): MockScheduler {
    const s = this.scheds.find((m) => m.base === entity.rq?.sched);
    if (!s) throw new Error(`entity ${entity.name} is not on a mock scheduler of this world`);
    return s;
  }
}
