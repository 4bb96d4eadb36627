/**
 * drm_sched core semantics (kernel-tests.md §4.4, SCHED-D01..D17) against a hand-driven ring:
 * every `run_job` returns a fresh hardware fence the test signals itself.
 */
import { describe, expect, it } from "vitest";
import { ERRNO } from "../../shared/gpu/errno.ts";
import { FenceRegistry, signal } from "../fence/dmaFence.ts";
import { createScheduler, DRM_SCHED_PRIORITY, type DrmSchedBackendOps, type RunJobResult } from "./drmSched.ts";
import { entityFini, entityInit, entityPushJob, ESRCH, type DrmSchedEntity } from "./entity.ts";
import { entity, ring, submit } from "./fakeRing.ts";
import { jobAddDependency, jobArm, jobInit, type DrmSchedJob } from "./schedJob.ts";
import { schedFini } from "./schedRecovery.ts";

describe("job and scheduler initialisation (SCHED-D01, D02, D04, D17)", () => {
  it("refuses zero credits, an entity without a run queue, a null scheduler list and more than four run queues", () => {
    const r = ring();
    expect(jobInit({ id: "x", entity: entity(r), credits: 0 })).toBe(-ERRNO.EINVAL);
    const orphan = entityInit(r.registry, { name: "orphan", priority: 0, schedList: [] }) as DrmSchedEntity;
    expect(jobInit({ id: "y", entity: orphan, credits: 1 })).toBe(-ERRNO.ENOENT);
    expect(entityInit(r.registry, { name: "bad", priority: 0, schedList: null })).toBe(-ERRNO.EINVAL);
    expect(entityInit(r.registry, { name: "bad", priority: 0, schedList: [null] })).toBe(-ERRNO.EINVAL);
    expect(createScheduler({ name: "x", ops: {} as DrmSchedBackendOps, registry: r.registry, numRqs: 5 })).toBe(-ERRNO.EINVAL);
  });

  it("clamps an out-of-range entity priority to the lowest run queue", () => {
    const r = ring({ numRqs: 2 });
    expect(entity(r, DRM_SCHED_PRIORITY.LOW).priority).toBe(1);
  });

  it("truncates a job above the credit limit so it can still run alone, and reports it", () => {
    const r = ring({ creditLimit: 2 });
    const job = submit(entity(r), 0, { credits: 3 });
    expect(r.ran).toEqual([job]);
    expect(job.credits).toBe(2);
    expect(r.sched.takeEvents().map((e) => e.type)).toContain("creditsTruncated");
  });

  it("gives each entity two fence contexts (scheduled, finished) and seqnos from 1 at arm", () => {
    const r = ring();
    const e = entity(r);
    const [a, b] = [submit(e), submit(e)];
    expect(a.sFence!.finished.context).toBe(e.fenceContext + 1);
    expect(a.sFence!.scheduled.context).toBe(e.fenceContext);
    expect([a.sFence!.scheduled.seqno, b.sFence!.finished.seqno]).toEqual([1n, 2n]);
  });
});

describe("credits and selection (SCHED-D03, D05, D06)", () => {
  it("adds credits at run and returns them when the hardware fence signals", () => {
    const r = ring({ creditLimit: 2 });
    const e = entity(r);
    const [a, , c] = [submit(e), submit(e), submit(e)];
    expect(r.ran.length).toBe(2);
    expect(r.sched.creditCount).toBe(2);
    signal(r.hw.get(a), 10);
    expect(r.ran).toContain(c);
    expect(r.sched.creditCount).toBe(2);
  });

  it("scans KERNEL → LOW and stops at a ready entity that does not fit rather than starving it", () => {
    const r = ring({ creditLimit: 2 });
    const busy = submit(entity(r, DRM_SCHED_PRIORITY.NORMAL, "busy"), 0, { credits: 1 });
    const big = submit(entity(r, DRM_SCHED_PRIORITY.HIGH, "big"), 1, { credits: 2 });
    const small = submit(entity(r, DRM_SCHED_PRIORITY.LOW, "small"), 2, { credits: 1 });
    expect(r.ran).toEqual([busy]);
    signal(r.hw.get(busy), 3);
    expect(r.ran).toEqual([busy, big]);
    signal(r.hw.get(big), 4);
    expect(r.ran).toEqual([busy, big, small]);
  });

  it("FIFO picks the entity whose head job waited longest; RR rotates after the current entity", () => {
    for (const [policy, expected] of [["fifo", ["a1", "a2", "b1", "b2"]], ["rr", ["a1", "b1", "a2", "b2"]]] as const) {
      const r = ring({ creditLimit: 1, policy });
      const [a, b] = [entity(r, 2, "a"), entity(r, 2, "b")];
      const order: string[] = [];
      const blocker = submit(entity(r, 2, "blocker"), 0);
      const named = new Map<DrmSchedJob, string>();
      named.set(submit(a, 1), "a1");
      named.set(submit(a, 2), "a2");
      named.set(submit(b, 5), "b1");
      named.set(submit(b, 6), "b2");
      let prev = blocker;
      for (let t = 10; named.size > order.length; t++) {
        signal(r.hw.get(prev), t);
        prev = r.ran[r.ran.length - 1]!;
        order.push(named.get(prev)!);
      }
      expect(order, policy).toEqual(expected);
    }
  });
});

describe("dependencies (SCHED-D07)", () => {
  it("ignores a missing fence and keeps only the later fence of one context", () => {
    const r = ring();
    const ctx = r.registry.contextAlloc(1);
    const [f1, f2] = [r.registry.create({ context: ctx, seqno: 1 }), r.registry.create({ context: ctx, seqno: 2 })];
    const job = jobInit({ id: "d", entity: entity(r), credits: 1 }) as DrmSchedJob;
    expect(jobAddDependency(job, undefined)).toBe(0);
    jobAddDependency(job, f2);
    jobAddDependency(job, f1);
    expect(job.dependencies).toEqual([f2]);
  });

  it("waits for a foreign fence to signal, but only for the scheduled fence of a job on the same scheduler", () => {
    const r = ring();
    const foreign = r.registry.create({ context: r.registry.contextAlloc(1), seqno: 1 });
    const first = submit(entity(r, 2, "p"));
    const piped = submit(entity(r, 2, "q"), 0, { deps: [first.sFence!.finished] });
    const waiting = submit(entity(r, 2, "w"), 0, { deps: [foreign] });
    expect(r.ran).toEqual([first, piped]);
    signal(foreign, 5);
    expect(r.ran).toEqual([first, piped, waiting]);
    expect(waiting.sFence!.scheduled.timestampNs).toBe(5);
  });

  it("does not pipeline a finished fence from another scheduler or one marked DONT_PIPELINE", () => {
    const registry = new FenceRegistry();
    const [r1, r2] = [ring({}, registry), ring({}, registry)];
    const other = submit(entity(r1, 2, "other"));
    const local = submit(entity(r2, 2, "local"));
    local.sFence!.dontPipeline = true;
    const j1 = submit(entity(r2, 2, "x"), 0, { deps: [other.sFence!.finished] });
    const j2 = submit(entity(r2, 2, "y"), 0, { deps: [local.sFence!.finished] });
    expect(r2.ran).toEqual([local]);
    signal(r1.hw.get(other), 1);
    signal(r2.hw.get(local), 2);
    expect(r2.ran).toEqual([local, j1, j2]);
  });

  it("asks prepare_job for more fences after the explicit ones, until it returns none", () => {
    const r = ring();
    const extra = r.registry.create({ context: r.registry.contextAlloc(1), seqno: 1 });
    let asked = 0;
    (r.sched.ops as { prepareJob?: DrmSchedBackendOps["prepareJob"] }).prepareJob = () => (asked++ === 0 ? extra : undefined);
    const job = submit(entity(r));
    expect(r.ran).toEqual([]);
    signal(extra, 3);
    expect(r.ran).toEqual([job]);
  });
});

describe("fence signalling (SCHED-D08, D09)", () => {
  it("signals scheduled at run_job and finished with the hardware fence's error", () => {
    const r = ring();
    const job = submit(entity(r), 0);
    expect(job.sFence!.scheduled.signalled).toBe(true);
    expect(job.sFence!.parent).toBe(r.hw.get(job));
    signal(r.hw.get(job), 7, -ERRNO.EIO);
    expect(job.sFence!.finished).toMatchObject({ signalled: true, error: -ERRNO.EIO, timestampNs: 7 });
  });

  it("completes a job whose run_job returned nothing (0), an ERR_PTR (its error), or an already signalled fence (its error)", () => {
    const r = ring();
    const e = entity(r);
    const done = r.registry.create({ context: r.registry.contextAlloc(1), seqno: 1 });
    signal(done, 0, -ERRNO.ENODEV);
    const results: RunJobResult[] = [null, { errPtr: -ERRNO.ENOMEM }, done];
    r.runResult = () => results.shift();
    const jobs = [submit(e), submit(e), submit(e)];
    expect(jobs.map((j) => j.sFence!.finished.error)).toEqual([0, -ERRNO.ENOMEM, -ERRNO.ENODEV]);
    expect(jobs.every((j) => j.sFence!.finished.signalled)).toBe(true);
    expect(r.freed).toEqual(jobs.map((j) => j.id));
  });

  it("marks every job popped from a guilty entity -ECANCELED but still hands it to run_job", () => {
    const r = ring();
    const guilty = { value: 1 };
    const job = submit(entity(r, 2, "g", guilty));
    expect(r.ran).toEqual([job]);
    signal(r.hw.get(job), 1);
    expect(job.sFence!.finished.error).toBe(-ERRNO.ECANCELED);
  });
});

describe("entity kill (SCHED-D10)", () => {
  it("ends queued jobs with -ESRCH in order, each after the previous one and its own dependencies, and frees them", () => {
    const r = ring({ creditLimit: 1 });
    const e = entity(r);
    const dep = r.registry.create({ context: r.registry.contextAlloc(1), seqno: 1 });
    const running = submit(e, 0);
    const [q1, q2] = [submit(e, 1, { deps: [dep] }), submit(e, 2)];
    entityFini(e, 3);
    expect(q1.sFence!.finished.signalled).toBe(false);
    signal(r.hw.get(running), 4);
    expect(q1.sFence!.finished.signalled).toBe(false);
    signal(dep, 5);
    expect(q1.sFence!.finished).toMatchObject({ signalled: true, error: -ESRCH, timestampNs: 5 });
    expect(q2.sFence!.finished).toMatchObject({ signalled: true, error: -ESRCH });
    expect(q1.sFence!.scheduled.signalled && q1.sFence!.parent === undefined).toBe(true);
    expect(r.freed).toEqual(expect.arrayContaining([q1.id, q2.id]));
    expect(r.ran).toEqual([running]);
  });

  it("refuses (like the kernel's 'push to a killed entity' error) to run a job pushed after the kill", () => {
    const r = ring();
    const e = entity(r);
    entityFini(e, 0);
    const job = jobInit({ id: "late", entity: e, credits: 1 }) as DrmSchedJob;
    jobArm(job);
    expect(entityPushJob(job, 1)).toBe(-ESRCH);
    expect(r.ran).toEqual([]);
  });
});

describe("TDR timer (SCHED-D11) and fini (SCHED-D16)", () => {
  it("re-arms at now + timeout when a job joins the pending list and again when the head is reaped", () => {
    const r = ring({ timeoutNs: 100 });
    const e = entity(r);
    const a = submit(e, 0);
    expect(r.sched.nextTimerNs()).toBe(100);
    r.sched.at(40);
    submit(e, 40);
    expect(r.sched.nextTimerNs()).toBe(140);
    signal(r.hw.get(a), 60);
    expect(r.sched.nextTimerNs()).toBe(160);
  });

  it("does not re-arm after ENODEV, re-arms after RESET, and parks the remaining time across suspend/resume", () => {
    const r = ring({ timeoutNs: 100 });
    const e = entity(r);
    submit(e, 0);
    submit(e, 0);
    r.timedout = "enodev";
    r.sched.fireTimers(100);
    expect(r.sched.nextTimerNs()).toBeUndefined();
    r.timedout = "reset";
    r.sched.fault(150);
    r.sched.fireTimers(150);
    expect(r.sched.nextTimerNs()).toBeUndefined();
    submit(e, 160);
    r.sched.at(160);
    expect(r.sched.suspendTimeout(190)).toBe(70);
    expect(r.sched.nextTimerNs()).toBeUndefined();
    r.sched.resumeTimeout(500, 70);
    expect(r.sched.nextTimerNs()).toBe(570);
  });

  it("fini without cancel_job leaves pending jobs behind and reports how many", () => {
    const r = ring();
    submit(entity(r));
    expect(schedFini(r.sched, 1)).toBe(1);
  });
});
