/**
 * The drm_sched and JobQueue cases of kernel-tests.md §4.4 and §5 not pinned by name in the other
 * suites: SCHED-D18 (arm is the point of no return; cleanup before it), JQ-09 (dependencies
 * already signalled at submit), JQ-10 (when submit kicks the worker) and JQ-12 (a dropped queue's
 * later fence callbacks push nothing; tyrsim signals the dropped jobs' fences, the RFC's TODO).
 */
import { describe, expect, it } from "vitest";
import { ERRNO } from "../../shared/gpu/errno.ts";
import { FenceRegistry, getStatus, signal } from "../fence/dmaFence.ts";
import { entity, ring, submit } from "./fakeRing.ts";
import { JobQueues } from "./jobQueue.ts";
import type { JobQueueEffect } from "./jobQueueEffects.ts";
import { jobAddDependency, jobArm, jobCleanup, jobInit, type DrmSchedJob } from "./schedJob.ts";

const types = (effects: readonly JobQueueEffect[]) => effects.map((e) => `${e.type}${"job" in e ? `:${e.job}` : ""}`);

function queues(capacity = 1_000_000) {
  const registry = new FenceRegistry();
  const jq = new JobQueues(registry);
  expect(jq.createQueue({ id: "q", capacity, timeoutNs: 5e9, resident: true })).toBe(0);
  return { registry, jq, external: () => registry.create({ context: registry.contextAlloc(1), seqno: 1 }) };
}

describe("drm_sched job lifecycle (SCHED-D18)", () => {
  it("a job cleaned up before arm drops its dependencies and takes no seqno; the next armed job gets seqno 1", () => {
    const r = ring();
    const e = entity(r);
    const aborted = jobInit({ id: "aborted", entity: e, credits: 1 }) as DrmSchedJob;
    jobAddDependency(aborted, r.registry.create({ context: r.registry.contextAlloc(1), seqno: 1 }));
    jobCleanup(aborted);
    expect(aborted.dependencies).toEqual([]);
    expect(aborted.sFence).toBeUndefined();
    const next = submit(e);
    expect(next.sFence!.finished.seqno).toBe(1n);
  });

  it("arming creates the job's fences and consumes its seqno: after arm the job exists for its waiters", () => {
    const r = ring();
    const e = entity(r);
    const job = jobInit({ id: "armed", entity: e, credits: 1 }) as DrmSchedJob;
    const fence = jobArm(job);
    expect(fence.finished.signalled).toBe(false);
    expect(submit(e).sFence!.finished.seqno).toBe(2n);
  });
});

describe("JobQueue dependency counting and kicks (JQ-09, JQ-10)", () => {
  it("JQ-09 counts an already signalled dependency at once; the last pending one's signal pushes the job", () => {
    const { jq, external } = queues();
    const [done, pending] = [external(), external()];
    signal(done, 1);
    expect(jq.submit("q", { id: "j", credits: 1, deps: [done, pending] }, 2).effects).toEqual([]);
    signal(pending, 3);
    expect(types(jq.takeEffects())).toEqual(["pushToRing:j", "ringDoorbell"]);
  });

  it("JQ-10 submit kicks only when nothing waits and the job fits; later progress comes from completions", () => {
    const { jq } = queues(2);
    expect(types(jq.submit("q", { id: "a", credits: 2 }, 0).effects)).toEqual(["pushToRing:a", "ringDoorbell"]);
    // b does not fit, and c (cost 0, never held by credits) waits behind it: submit pushes neither
    expect(jq.submit("q", { id: "b", credits: 1 }, 1).effects).toEqual([]);
    expect(jq.submit("q", { id: "c", credits: 0 }, 2).effects).toEqual([]);
    // a's completion returns its credits and both go, in order
    const done = types(jq.jobCompleted("q", 1, 3).effects);
    expect(done.filter((t) => t.startsWith("pushToRing"))).toEqual(["pushToRing:b", "pushToRing:c"]);
  });
});

describe("a dropped JobQueue (JQ-12)", () => {
  it("pushes nothing for a waiting job once a dependency signals after the drop: its fence signals -ECANCELED then, after its dependency", () => {
    const { jq, external } = queues();
    const dep = external();
    const waiting = jq.submit("q", { id: "w", credits: 1, deps: [dep] }, 0).fence!;
    jq.killQueue("q", "cancelled", 1);
    jq.takeEffects();
    expect(waiting.signalled).toBe(false);
    signal(dep, 2);
    const after = types(jq.takeEffects());
    expect(after.some((t) => t.startsWith("pushToRing"))).toBe(false);
    expect(getStatus(waiting)).toBe(-ERRNO.ECANCELED);
  });
});
