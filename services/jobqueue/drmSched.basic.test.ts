/**
 * drivers/gpu/drm/scheduler/tests/tests_basic.c (kernel-tests.md §4.2, SCHED-01..15) against the
 * pure scheduler and the mock hardware, in virtual time. Threads become deterministic loops; the
 * "every 200–500 µs" periods come from a seeded PRNG.
 */
import { describe, expect, it } from "vitest";
import { ERRNO } from "../../shared/gpu/errno.ts";
import { createPrng } from "../../shared/random/prng.ts";
import { DRM_SCHED_PRIORITY } from "./drmSched.ts";
import { entityFini, entityIsIdle, entityModifySched, entitySetPriority, type DrmSchedEntity } from "./entity.ts";
import { MOCK_JOB_FLAG, MOCK_TIMEOUT_NS, MockWorld, type MockJob, type MockScheduler } from "./mockScheduler.ts";
import { jobAddDependency } from "./schedJob.ts";
import { schedFini } from "./schedRecovery.ts";

const US = 1_000;
const MS = 1_000_000;
const HZ_NS = 1_000_000_000;

/** `drm_mock_sched_entity_free`: flush (advance until idle, ≤ 1 s) then fini. */
function entityDestroy(world: MockWorld, entity: DrmSchedEntity): void {
  world.runUntil(() => entityIsIdle(entity), HZ_NS);
  entityFini(entity, world.nowNs);
}

/** `drm_sched_basic_test`: `count` jobs of 1000 µs round-robin over entities, optionally chained. */
function basicTest(world: MockWorld, sched: MockScheduler, entities: DrmSchedEntity[], count: number, depChain: boolean): MockJob[] {
  const jobs: MockJob[] = [];
  for (let i = 0; i < count; i++) {
    const job = world.createJob(entities[i % entities.length]!, { durationNs: 1000 * US });
    const prev = jobs[i - 1];
    if (depChain && prev) jobAddDependency(job.base, prev.base.sFence!.finished);
    expect(world.submit(job)).toBe(0);
    jobs.push(job);
  }
  expect(world.waitFinished(jobs[count - 1]!, HZ_NS)).toBe(true);
  return jobs;
}

describe("drm_sched basic (SCHED-01..06)", () => {
  it("SCHED-01 basic_submit: a duration-less job is scheduled, does not finish on its own, and finishes after advance(1)", () => {
    const world = new MockWorld();
    const sched = world.createScheduler();
    const job = world.createJob(world.createEntity(DRM_SCHED_PRIORITY.NORMAL, sched));
    world.submit(job);
    expect(world.waitScheduled(job, HZ_NS)).toBe(true);
    expect(world.waitFinished(job, HZ_NS / 2)).toBe(false);
    expect(sched.advance(1)).toBe(1);
    expect(world.waitFinished(job, HZ_NS)).toBe(true);
  });

  it("SCHED-02 a queue of jobs in a single entity: the last of 100 × 1000 µs finishes within 1 s, in order", () => {
    const world = new MockWorld();
    const sched = world.createScheduler();
    const jobs = basicTest(world, sched, [world.createEntity(DRM_SCHED_PRIORITY.NORMAL, sched)], 100, false);
    expect(world.nowNs).toBe(100 * MS);
    expect(jobs.map((j) => j.hwSeqno)).toEqual(jobs.map((_, i) => i + 1));
  });

  it("SCHED-03 a chain of dependent jobs in one entity: same-entity dependencies are ignored, so all run at once", () => {
    const world = new MockWorld();
    const sched = world.createScheduler();
    const jobs = basicTest(world, sched, [world.createEntity(DRM_SCHED_PRIORITY.NORMAL, sched)], 100, true);
    expect(jobs.every((j) => j.base.sFence!.scheduled.timestampNs === 0)).toBe(true);
  });

  it("SCHED-04 multiple independent job queues: 4 entities round-robin, the last job finishes within 1 s", () => {
    const world = new MockWorld();
    const sched = world.createScheduler();
    const entities = [0, 1, 2, 3].map(() => world.createEntity(DRM_SCHED_PRIORITY.NORMAL, sched));
    basicTest(world, sched, entities, 100, false);
  });

  it("SCHED-05 multiple inter-dependent job queues: dependencies are pipelined, each job runs once its predecessor is scheduled", () => {
    const world = new MockWorld();
    const sched = world.createScheduler();
    const entities = [0, 1, 2, 3].map(() => world.createEntity(DRM_SCHED_PRIORITY.NORMAL, sched));
    const jobs = basicTest(world, sched, entities, 100, true);
    expect(jobs.every((j) => j.base.sFence!.scheduled.timestampNs === 0)).toBe(true);
    expect(jobs[99]!.base.sFence!.finished.timestampNs).toBe(100 * MS);
  });

  it("SCHED-06 entity_cleanup: destroying entities with half the chain pending neither hangs nor leaves a fence unsignalled", () => {
    const world = new MockWorld();
    const sched = world.createScheduler();
    const entities = [0, 1, 2, 3].map(() => world.createEntity(DRM_SCHED_PRIORITY.NORMAL, sched));
    const jobs: MockJob[] = [];
    for (let i = 0; i < 100; i++) {
      const job = world.createJob(entities[i % 4]!, { durationNs: 1000 * US });
      if (jobs[i - 1]) jobAddDependency(job.base, jobs[i - 1]!.base.sFence!.finished);
      world.submit(job);
      jobs.push(job);
    }
    expect(world.waitFinished(jobs[50]!, HZ_NS)).toBe(true);
    for (const e of entities) entityDestroy(world, e);
    expect(schedFini(sched.base, world.nowNs)).toBe(0);
    for (const j of jobs) expect(j.base.sFence!.finished.signalled, j.base.id).toBe(true);
    expect(jobs.filter((j) => j.base.sFence!.finished.error === -ERRNO.ECANCELED).length).toBeGreaterThan(0);
  });
});

describe("drm_sched concurrent (SCHED-07, 08)", () => {
  it("SCHED-07 parallel_submit: 16 workers × 8 duration-less jobs are all scheduled, advance(128) completes them all", () => {
    const world = new MockWorld();
    const sched = world.createScheduler();
    const jobs = Array.from({ length: 16 }, () => world.createEntity(DRM_SCHED_PRIORITY.NORMAL, sched))
      .flatMap((e) => Array.from({ length: 8 }, () => world.createJob(e)));
    for (const j of jobs) world.submit(j);
    for (const j of jobs) expect(world.waitScheduled(j, HZ_NS)).toBe(true);
    expect(sched.advance(128)).toBe(128);
    for (const j of jobs) expect(world.waitFinished(j, HZ_NS)).toBe(true);
  });

  it("SCHED-08 interleaved_submit: 16 workers each keep 8 jobs in flight, every wait is under 2 s, and every job finishes", () => {
    const world = new MockWorld();
    const sched = world.createScheduler();
    const workers = Array.from({ length: 16 }, (_, i) => {
      const durationUs = 100 * (i + 1);
      return { entity: world.createEntity(DRM_SCHED_PRIORITY.NORMAL, sched), durationUs, count: Math.max(1, Math.floor(62500 / durationUs)), jobs: [] as MockJob[], waitStart: 0 };
    });
    expect(workers.map((w) => w.count)).toEqual([625, 312, 208, 156, 125, 104, 89, 78, 69, 62, 56, 52, 48, 44, 41, 39]);
    const submitNext = (w: (typeof workers)[number]) => {
      const j = world.createJob(w.entity, { durationNs: w.durationUs * US });
      world.submit(j);
      w.jobs.push(j);
      w.waitStart = world.nowNs;
    };
    for (const w of workers) while (w.jobs.length < Math.min(8, w.count)) submitNext(w);
    const pending = () => workers.filter((w) => w.jobs.length < w.count);
    while (pending().length > 0) {
      world.runUntil(() => pending().some((w) => (w.jobs[w.jobs.length - 8]!.flags & MOCK_JOB_FLAG.DONE) !== 0), 2 * HZ_NS);
      for (const w of pending()) {
        if ((w.jobs[w.jobs.length - 8]!.flags & MOCK_JOB_FLAG.DONE) === 0) continue;
        expect(world.nowNs - w.waitStart).toBeLessThanOrEqual(2 * HZ_NS);
        submitNext(w);
      }
    }
    for (const w of workers) expect(world.waitFinished(w.jobs[w.jobs.length - 1]!, 2 * HZ_NS)).toBe(true);
    expect(workers.every((w) => w.jobs.every((j) => j.flags & MOCK_JOB_FLAG.DONE))).toBe(true);
  });
});

describe("drm_sched timeout (SCHED-09, 10)", () => {
  it("SCHED-09 basic_timeout: nothing at 100 ms; at 200 ms the TDR signals the hardware fence with -ETIMEDOUT, yet the job is not DONE", () => {
    const world = new MockWorld();
    const sched = world.createScheduler({ timeoutNs: MOCK_TIMEOUT_NS });
    const job = world.createJob(world.createEntity(DRM_SCHED_PRIORITY.NORMAL, sched));
    world.submit(job);
    expect(world.waitScheduled(job, HZ_NS)).toBe(true);
    expect(world.waitFinished(job, MOCK_TIMEOUT_NS / 2)).toBe(false);
    expect(job.flags & MOCK_JOB_FLAG.TIMEDOUT).toBe(0);
    expect(world.waitFinished(job, MOCK_TIMEOUT_NS)).toBe(false);
    expect(job.flags & MOCK_JOB_FLAG.TIMEDOUT).toBe(MOCK_JOB_FLAG.TIMEDOUT);
    expect(job.hwFence!.error).toBe(-ERRNO.ETIMEDOUT);
    expect(job.base.sFence!.finished.error).toBe(-ERRNO.ETIMEDOUT);
  });

  it("SCHED-10 skip_reset: a DONT_RESET job answers NO_HANG (RESET_SKIPPED), stays pending, and finishes after advance(1)", () => {
    const world = new MockWorld();
    const sched = world.createScheduler({ timeoutNs: MOCK_TIMEOUT_NS });
    const job = world.createJob(world.createEntity(DRM_SCHED_PRIORITY.NORMAL, sched), { flags: MOCK_JOB_FLAG.DONT_RESET });
    world.submit(job);
    expect(world.waitScheduled(job, HZ_NS)).toBe(true);
    expect(world.waitFinished(job, 2 * MOCK_TIMEOUT_NS)).toBe(false);
    expect(job.flags & MOCK_JOB_FLAG.RESET_SKIPPED).toBe(MOCK_JOB_FLAG.RESET_SKIPPED);
    expect(sched.base.takeEvents().filter((e) => e.type === "jobTimedOut").map((e) => e.type === "jobTimedOut" && e.status)).toEqual(["no-hang", "no-hang"]);
    expect(sched.base.pendingList).toEqual([job.base]);
    expect(sched.advance(1)).toBe(1);
    expect(world.waitFinished(job, HZ_NS)).toBe(true);
    expect(job.freed).toBe(true);
  });
});

describe("drm_sched cancel, priority, modify_sched, credits (SCHED-11..15)", () => {
  it("SCHED-11 basic_cancel: tearing down the scheduler cancels the running job's hardware fence with -ECANCELED", () => {
    const world = new MockWorld();
    const sched = world.createScheduler();
    const entity = world.createEntity(DRM_SCHED_PRIORITY.NORMAL, sched);
    const job = world.createJob(entity);
    world.submit(job);
    expect(world.waitScheduled(job, HZ_NS)).toBe(true);
    entityDestroy(world, entity);
    expect(schedFini(sched.base, world.nowNs)).toBe(0);
    expect(job.hwFence!.error).toBe(-ERRNO.ECANCELED);
    expect(job.freed).toBe(true);
  });

  it("SCHED-12 priorities: 100 jobs round-robin over one entity per priority KERNEL..LOW finish within 1 s", () => {
    const world = new MockWorld();
    const sched = world.createScheduler();
    const entities = [0, 1, 2, 3].map((p) => world.createEntity(p, sched));
    const jobs = basicTest(world, sched, entities, 100, false);
    expect(jobs.every((j) => j.base.sFence!.finished.signalled)).toBe(true);
  });

  it("SCHED-13 change_priority: rotating entity priorities every 200–500 µs (seed 7) never hangs the last of 1000 jobs", () => {
    const world = new MockWorld();
    const sched = world.createScheduler();
    const entities = [0, 1, 2, 3].map((p) => world.createEntity(p, sched));
    const jobs = Array.from({ length: 1000 }, (_, i) => world.createJob(entities[i % 4]!, { durationNs: 1000 * US }));
    for (const j of jobs) world.submit(j);
    const rng = createPrng(7);
    const last = jobs[999]!;
    for (let cur = 0; (last.flags & MOCK_JOB_FLAG.DONE) === 0; cur = (cur + 1) % 4) {
      world.advanceTo(world.nowNs + rng.int(200, 500) * US);
      entitySetPriority(entities[cur]!, (entities[cur]!.priority + 1) % 4);
    }
    expect(jobs.every((j) => j.base.sFence!.finished.signalled)).toBe(true);
  });

  it("SCHED-14 modify_sched: moving entities between 3 schedulers every 200–500 µs (seed 7) still finishes all 1000 jobs", () => {
    const world = new MockWorld();
    const scheds = [0, 1, 2].map(() => world.createScheduler());
    const entities = Array.from({ length: 13 }, (_, i) => world.createEntity(DRM_SCHED_PRIORITY.NORMAL, scheds[i % 3]!));
    const jobs = Array.from({ length: 1000 }, (_, i) => world.createJob(entities[i % 13]!, { durationNs: 1000 * US }));
    for (const j of jobs) world.submit(j);
    const rng = createPrng(7);
    const last = jobs[999]!;
    for (let e = 0, s = 0; (last.flags & MOCK_JOB_FLAG.DONE) === 0; e = (e + 1) % 13, s = (s + 1) % 3) {
      world.advanceTo(world.nowNs + rng.int(200, 500) * US);
      entityModifySched(entities[e]!, [scheds[s]!.base]);
    }
    for (const e of entities) entityDestroy(world, e);
    for (const s of scheds) expect(schedFini(s.base, world.nowNs)).toBe(0);
    for (const j of jobs) expect([0, -ERRNO.ECANCELED]).toContain(j.base.sFence!.finished.signalled ? j.base.sFence!.finished.error : "unsignalled");
  });

  it("SCHED-15 credits: with credit_limit 1 the second job waits until the first completes", () => {
    const world = new MockWorld();
    const sched = world.createScheduler({ creditLimit: 1 });
    const entity = world.createEntity(DRM_SCHED_PRIORITY.NORMAL, sched);
    const [job0, job1] = [world.createJob(entity), world.createJob(entity)];
    world.submit(job0!);
    world.submit(job1!);
    expect(world.waitScheduled(job0!, HZ_NS)).toBe(true);
    expect(world.waitScheduled(job1!, HZ_NS)).toBe(false);
    expect(sched.advance(1)).toBe(1);
    expect(world.waitScheduled(job1!, HZ_NS)).toBe(true);
    expect(sched.advance(1)).toBe(1);
    expect(world.waitFinished(job1!, HZ_NS)).toBe(true);
  });
});
