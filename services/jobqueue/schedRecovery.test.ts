/**
 * drm_sched recovery: stop/start, karma and guilty marking, resubmission and the two recovery
 * procedures of the `timedout_job` kernel-doc (kernel-tests.md §4.4 SCHED-D12..D15, §4.5 SCHED-T01/T02).
 */
import { describe, expect, it } from "vitest";
import { ERRNO } from "../../shared/gpu/errno.ts";
import { signal } from "../fence/dmaFence.ts";
import { DRM_SCHED_PRIORITY } from "./drmSched.ts";
import { entityFini, ESRCH } from "./entity.ts";
import { entity, ring, submit } from "./fakeRing.ts";
import { schedFini, schedIncreaseKarma, schedInvalidateJob, schedResubmitJobs, schedStart, schedStop } from "./schedRecovery.ts";

describe("stop and start (SCHED-D12, D13)", () => {
  it("stop detaches running jobs (returning credits) and frees ones already done; start ends parentless jobs with -ECANCELED", () => {
    const r = ring({ creditLimit: 4 });
    const e = entity(r);
    const [a, b] = [submit(e, 0), submit(e, 0)];
    signal(r.hw.get(b), 5);
    expect(r.sched.pendingList).toEqual([a, b]);
    schedStop(r.sched, undefined, 6);
    expect(r.sched.creditCount).toBe(0);
    expect(r.sched.pendingList).toEqual([a]);
    expect(r.freed).toEqual([b.id]);
    expect(a.sFence!.parent).toBeUndefined();
    schedStart(r.sched, 0, 7);
    expect(a.sFence!.finished).toMatchObject({ signalled: true, error: -ERRNO.ECANCELED });
    expect(r.freed).toEqual([b.id, a.id]);
    expect(r.sched.creditCount).toBe(0);
  });

  it("start re-attaches resubmitted hardware fences; one that already signalled completes the job with its error, or with start's errno", () => {
    const r = ring();
    const e = entity(r);
    const [a, b, c] = [submit(e, 0), submit(e, 0), submit(e, 0)];
    schedStop(r.sched, undefined, 1);
    const hwCtx = r.registry.contextAlloc(1);
    const failed = r.registry.create({ context: hwCtx, seqno: 1 });
    const ok = r.registry.create({ context: hwCtx, seqno: 2 });
    const pending = r.registry.create({ context: hwCtx, seqno: 3 });
    signal(failed, 2, -ERRNO.EPERM);
    signal(ok, 2);
    const fresh = [failed, ok, pending];
    r.runResult = () => fresh.shift();
    schedResubmitJobs(r.sched, 3);
    schedStart(r.sched, -ERRNO.EIO, 4);
    expect([a, b].map((j) => j.sFence!.finished.error)).toEqual([-ERRNO.EPERM, -ERRNO.EIO]);
    expect(c.sFence!.finished.signalled).toBe(false);
    signal(pending, 5);
    expect(c.sFence!.finished).toMatchObject({ signalled: true, error: 0, timestampNs: 5 });
    expect(r.sched.pendingList).toEqual([]);
  });

  it("stop keeps the bad job alive for the handler and frees it afterwards (free_guilty)", () => {
    const r = ring({ timeoutNs: 100 });
    const e = entity(r);
    const bad = submit(e, 0);
    r.timedout = (job, now) => {
      signal(r.hw.get(job), now, -ERRNO.ETIMEDOUT);
      schedStop(r.sched, job, now);
      expect(r.freed).toEqual([]);
      schedStart(r.sched, 0, now);
      return "reset";
    };
    r.sched.fireTimers(100);
    expect(r.freed).toEqual([bad.id]);
    expect(bad.sFence!.finished.error).toBe(-ERRNO.ETIMEDOUT);
  });
});

describe("karma and guilt (SCHED-D14, D15)", () => {
  it("never blames a KERNEL job; otherwise raises karma and marks the job's entity guilty", () => {
    const r = ring();
    const kernelGuilt = { value: 0 };
    const userGuilt = { value: 0 };
    const k = submit(entity(r, DRM_SCHED_PRIORITY.KERNEL, "k", kernelGuilt));
    const u = submit(entity(r, DRM_SCHED_PRIORITY.NORMAL, "u", userGuilt));
    schedIncreaseKarma(k);
    schedIncreaseKarma(u);
    expect([k.karma, kernelGuilt.value, u.karma, userGuilt.value]).toEqual([0, 0, 1, 1]);
    expect(schedInvalidateJob(u, 1)).toBe(true);
  });
});

describe("recovery procedures (SCHED-T01, T02)", () => {
  it("T02 hardware scheduler: stop, blame, kill the guilty entity, reset the ring, resubmit survivors, start — innocent work completes", () => {
    const r = ring({ timeoutNs: 100, hangLimit: 0 });
    const culprit = entity(r, DRM_SCHED_PRIORITY.NORMAL, "culprit", { value: 0 });
    const innocent = entity(r, DRM_SCHED_PRIORITY.NORMAL, "innocent", { value: 0 });
    const hang = submit(culprit, 0);
    const input = r.registry.create({ context: r.registry.contextAlloc(1), seqno: 1 });
    const queuedBehind = submit(culprit, 0, { deps: [input] });
    const [i1, i2] = [submit(innocent, 0), submit(innocent, 0)];
    r.runResult = (job) => (job.sFence!.finished.error ? null : undefined);
    r.timedout = (job, now) => {
      schedStop(r.sched, job, now);
      schedIncreaseKarma(job);
      entityFini(culprit, now);
      r.hw.clear(); // the ring is reset: its hardware fences are gone
      schedResubmitJobs(r.sched, now);
      schedStart(r.sched, 0, now);
      return "reset";
    };
    r.sched.fireTimers(100);
    expect(hang.sFence!.finished).toMatchObject({ signalled: true, error: -ERRNO.ECANCELED });
    expect(queuedBehind.sFence!.finished.signalled).toBe(false);
    signal(input, 101);
    expect(queuedBehind.sFence!.finished).toMatchObject({ signalled: true, error: -ESRCH });
    signal(r.hw.get(i1), 150);
    signal(r.hw.get(i2), 160);
    expect([i1, i2].map((j) => [j.sFence!.finished.signalled, j.sFence!.finished.error])).toEqual([[true, 0], [true, 0]]);
    expect(r.sched.pendingList).toEqual([]);
  });

  it("T01 firmware scheduler: stop, drop the ring, kill the entity and fini its scheduler — every fence signals with an error", () => {
    const r = ring({ creditLimit: 1, cancel: true });
    const e = entity(r);
    const running = submit(e, 0);
    const queued = submit(e, 0);
    schedStop(r.sched, undefined, 10);
    entityFini(e, 10);
    schedStart(r.sched, -ERRNO.ECANCELED, 10);
    expect(schedFini(r.sched, 10)).toBe(0);
    expect(running.sFence!.finished).toMatchObject({ signalled: true, error: -ERRNO.ECANCELED });
    expect(queued.sFence!.finished).toMatchObject({ signalled: true, error: -ESRCH });
  });
});
