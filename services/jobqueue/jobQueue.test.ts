/**
 * The JobQueue (kernel-tests.md §5 JQ-01..JQ-13, panthor.md §8.3): dependencies from any queue,
 * ring credits, in-order done fences, and lost jobs that always signal with an error.
 */
import { describe, expect, it } from "vitest";
import { ERRNO } from "../../shared/gpu/errno.ts";
import { addCallback, fenceCallback, FenceRegistry, signal, type DmaFence } from "../fence/dmaFence.ts";
import { isLater } from "../fence/seqno.ts";
import { JobQueues } from "./jobQueue.ts";
import type { JobQueueEffect } from "./jobQueueEffects.ts";

const S = 1_000_000_000;

function setup(queues: { id: string; capacity?: number; timeoutNs?: number; resident?: boolean }[]) {
  const registry = new FenceRegistry();
  const jq = new JobQueues(registry);
  for (const q of queues) expect(jq.createQueue({ capacity: 1_000_000, resident: true, ...q })).toBe(0);
  return { registry, jq };
}

const types = (effects: readonly JobQueueEffect[]) => effects.map((e) => `${e.type}${"job" in e ? `:${e.job}` : ""}`);

describe("JobQueue submission (JQ-01..JQ-05)", () => {
  it("JQ-01 refuses a queue with capacity 0", () => {
    const jq = new JobQueues(new FenceRegistry());
    expect(jq.createQueue({ id: "q", capacity: 0 })).toBe(-ERRNO.EINVAL);
  });

  it("JQ-02 independent jobs are pushed at once with a doorbell, and both done fences signal when the firmware completes them", () => {
    const { jq } = setup([{ id: "q1" }]);
    const j1 = jq.submit("q1", { id: "job1", credits: 1 }, 0);
    const j2 = jq.submit("q1", { id: "job2", credits: 1 }, 0);
    expect(types([...j1.effects, ...j2.effects])).toEqual(["pushToRing:job1", "ringDoorbell", "pushToRing:job2", "ringDoorbell"]);
    expect(types(jq.jobCompleted("q1", 1, 10).effects)).toEqual(["jobFenceSignalled:job1"]);
    jq.jobCompleted("q1", 2, 20);
    expect([j1.fence!.signalled, j2.fence!.signalled]).toEqual([true, true]);
  });

  it("JQ-03 a job depending on an already signalled fence from another queue is pushed at once", () => {
    const { jq } = setup([{ id: "q1" }, { id: "q2" }]);
    const j1 = jq.submit("q1", { id: "job1", credits: 1 }, 0).fence!;
    jq.jobCompleted("q1", 1, 5);
    expect(types(jq.submit("q2", { id: "job3", credits: 1, deps: [j1] }, 6).effects)).toEqual(["pushToRing:job3", "ringDoorbell"]);
  });

  it("JQ-04/05 a job on an unsignalled fence waits; when that fence signals from outside, it is pushed", () => {
    const { registry, jq } = setup([{ id: "q2" }]);
    const external = registry.create({ context: registry.contextAlloc(1), seqno: 1 });
    const r = jq.submit("q2", { id: "job4", credits: 1, deps: [external] }, 0);
    expect(r.effects).toEqual([]);
    jq.advanceTo(S);
    expect(r.fence!.signalled).toBe(false);
    signal(external, S + 1);
    expect(types(jq.takeEffects())).toEqual(["pushToRing:job4", "ringDoorbell"]);
    jq.jobCompleted("q2", 1, S + 2);
    expect(r.fence!.signalled).toBe(true);
  });
});

describe("ordering, dependencies and credits (JQ-06..JQ-11)", () => {
  it("chains dependencies across queues: each job is pushed only after its dependency's fence signals", () => {
    const { jq } = setup([{ id: "geom" }, { id: "frag" }, { id: "blit" }]);
    const g = jq.submit("geom", { id: "g", credits: 4 }, 0).fence!;
    const f = jq.submit("frag", { id: "f", credits: 4, deps: [g] }, 0);
    const b = jq.submit("blit", { id: "b", credits: 4, deps: [f.fence!] }, 0);
    expect(f.effects).toEqual([]);
    expect(b.effects).toEqual([]);
    expect(types(jq.jobCompleted("geom", 1, 10).effects)).toEqual(["jobFenceSignalled:g", "pushToRing:f", "ringDoorbell"]);
    expect(types(jq.jobCompleted("frag", 1, 20).effects)).toEqual(["jobFenceSignalled:f", "pushToRing:b", "ringDoorbell"]);
    jq.jobCompleted("blit", 1, 30);
    expect(b.fence!.timestampNs).toBe(30);
  });

  it("JQ-06 a job whose dependency is pending blocks the ready jobs behind it on the same queue", () => {
    const { registry, jq } = setup([{ id: "q" }]);
    const external = registry.create({ context: registry.contextAlloc(1), seqno: 1 });
    jq.submit("q", { id: "blocked", credits: 1, deps: [external] }, 0);
    expect(jq.submit("q", { id: "ready", credits: 1 }, 0).effects).toEqual([]);
    signal(external, 5);
    expect(types(jq.takeEffects())).toEqual(["pushToRing:blocked", "pushToRing:ready", "ringDoorbell"]);
  });

  it("JQ-07 credits exhaustion holds jobs until completions return credits; JQ-08 a zero-cost job is never held by credits", () => {
    const { jq } = setup([{ id: "q", capacity: 10 }]);
    jq.submit("q", { id: "a", credits: 6 }, 0);
    expect(jq.submit("q", { id: "b", credits: 6 }, 0).effects).toEqual([]);
    expect(jq.inspect("q")).toMatchObject({ creditsUsed: 6, waiting: ["b"], inFlight: ["a"] });
    expect(types(jq.jobCompleted("q", 1, 10).effects)).toEqual(["jobFenceSignalled:a", "pushToRing:b", "ringDoorbell"]);
    jq.submit("q", { id: "c", credits: 4 }, 11);
    expect(jq.inspect("q")!.creditsUsed).toBe(10);
    expect(types(jq.submit("q", { id: "free", credits: 0 }, 12).effects)).toEqual(["pushToRing:free", "ringDoorbell"]);
    expect(jq.submit("q", { id: "too-big", credits: 11 }, 13).errno).toBe(-ERRNO.EINVAL);
  });

  it("JQ-11 signals done fences in seqno order even when the firmware reports completions out of order", () => {
    const { jq } = setup([{ id: "q" }]);
    const fences = ["a", "b", "c"].map((id) => jq.submit("q", { id, credits: 1 }, 0).fence!);
    expect(jq.jobCompleted("q", 3, 10).effects).toEqual([]);
    expect(jq.jobCompleted("q", 2, 11).effects).toEqual([]);
    expect(types(jq.jobCompleted("q", 1, 12).effects)).toEqual(["jobFenceSignalled:a", "jobFenceSignalled:b", "jobFenceSignalled:c"]);
    expect(fences.map((f) => f.timestampNs)).toEqual([12, 12, 12]);
    expect(isLater(fences[2]!, fences[1]!) && isLater(fences[1]!, fences[0]!)).toBe(true);
    expect(jq.jobCompleted("q", 2, 13).errno).toBe(-ERRNO.ENOENT);
  });

  it("finds a reported job by its seqno after earlier jobs have left the ring, and answers -ENOENT for one not in flight", () => {
    const { jq } = setup([{ id: "q" }]);
    const fences = ["a", "b", "c", "d"].map((id) => jq.submit("q", { id, credits: 1 }, 0).fence!);
    jq.jobCompleted("q", 1, 1);
    jq.jobCompleted("q", 2, 2);
    expect(jq.jobCompleted("q", 4, 3).errno).toBe(0);
    expect(jq.jobCompleted("q", 1, 4).errno).toBe(-ERRNO.ENOENT);
    expect(jq.jobCompleted("q", 5, 4).errno).toBe(-ERRNO.ENOENT);
    expect(jq.jobCompleted("missing", 3, 4).errno).toBe(-ERRNO.ENOENT);
    expect(types(jq.jobCompleted("q", 3, 5).effects)).toEqual(["jobFenceSignalled:c", "jobFenceSignalled:d"]);
    expect(fences.map((f) => f.timestampNs)).toEqual([1, 2, 5, 5]);
  });

  it("a Panthor sync update completes every job up to the sync object's seqno, carrying per-job fault errors", () => {
    const { jq } = setup([{ id: "q" }]);
    const fences = ["a", "b", "c"].map((id) => jq.submit("q", { id, credits: 1 }, 0).fence!);
    jq.jobCompleted("q", 1, 5, -ERRNO.EINVAL);
    jq.syncUpdate("q", 2, 6);
    expect(fences.map((f) => [f.signalled, f.error])).toEqual([[true, -ERRNO.EINVAL], [true, 0], [false, 0]]);
  });

  it("refuses callbacks on a done fence with -ENOENT", () => {
    const { jq } = setup([{ id: "q" }]);
    const fence = jq.submit("q", { id: "a", credits: 1 }, 0).fence!;
    jq.jobCompleted("q", 1, 1);
    expect(addCallback(fence, fenceCallback(() => {}))).toBe(-ERRNO.ENOENT);
  });

  it("kicks the group scheduler instead of ringing the doorbell while the queue's group is not resident", () => {
    const { jq } = setup([{ id: "q", resident: false }]);
    expect(types(jq.submit("q", { id: "a", credits: 1 }, 0).effects)).toEqual(["pushToRing:a", "kickScheduler"]);
  });
});

describe("lost jobs and timeouts", () => {
  function killScenario(reason: "timeout" | "fatal-fault" | "cancelled") {
    const { registry, jq } = setup([{ id: "q", capacity: 2 }]);
    const external = registry.create({ context: registry.contextAlloc(1), seqno: 1 });
    const fences = [
      jq.submit("q", { id: "run1", credits: 1 }, 0).fence!,
      jq.submit("q", { id: "run2", credits: 1 }, 0).fence!,
      jq.submit("q", { id: "waitCredits", credits: 1 }, 0).fence!,
      jq.submit("q", { id: "waitDep", credits: 1, deps: [external] }, 0).fence!,
      jq.submit("q", { id: "behind", credits: 1 }, 0).fence!,
    ];
    const signals = new Map<DmaFence, number>();
    for (const f of fences) addCallback(f, fenceCallback((done) => signals.set(done, (signals.get(done) ?? 0) + 1)));
    return { jq, external, fences, signals, effects: jq.killQueue("q", reason, 100).effects };
  }

  it.each([["timeout", -ERRNO.ETIMEDOUT], ["fatal-fault", -ERRNO.EINVAL], ["cancelled", -ERRNO.ECANCELED]] as const)(
    "killing a queue (%s) signals every pending fence exactly once: in-flight with %i, never-pushed with -ECANCELED after their dependencies",
    (reason, inFlightErr) => {
      const { jq, external, fences, signals, effects } = killScenario(reason);
      expect(types(effects)).toEqual(["queueKilled", "jobFenceSignalled:run1", "jobFenceSignalled:run2", "jobFenceSignalled:waitCredits"]);
      expect(fences.slice(3).map((f) => f.signalled)).toEqual([false, false]);
      signal(external, 150);
      expect(types(jq.takeEffects())).toEqual(["jobFenceSignalled:waitDep", "jobFenceSignalled:behind"]);
      expect(fences.map((f) => f.error)).toEqual([inFlightErr, inFlightErr, -ERRNO.ECANCELED, -ERRNO.ECANCELED, -ERRNO.ECANCELED]);
      expect([...signals.values()]).toEqual([1, 1, 1, 1, 1]);
      expect(jq.killQueue("q", "cancelled", 200).effects).toEqual([]);
      expect(jq.jobCompleted("q", 1, 200).errno).toBe(-ERRNO.ENOENT);
      expect(jq.submit("q", { id: "late", credits: 1 }, 200).errno).toBe(-ERRNO.EINVAL);
    },
  );

  it("times a queue out after 5 s of resident time only, restarting on progress, then kills it with -ETIMEDOUT", () => {
    const { jq } = setup([{ id: "q", timeoutNs: 5 * S }]);
    const [a, b] = ["a", "b"].map((id) => jq.submit("q", { id, credits: 1 }, 0).fence!);
    expect(jq.nextDeadlineNs()).toBe(5 * S);
    jq.jobCompleted("q", 1, 1 * S);
    expect(jq.nextDeadlineNs()).toBe(6 * S);
    jq.setResident("q", false, 2 * S);
    expect(jq.nextDeadlineNs()).toBeUndefined();
    jq.setResident("q", true, 10 * S);
    expect(jq.nextDeadlineNs()).toBe(14 * S);
    expect(jq.advanceTo(13 * S).effects).toEqual([]);
    expect(types(jq.advanceTo(14 * S).effects)).toEqual(["queueTimedOut:b", "queueKilled", "jobFenceSignalled:b"]);
    expect([a!.error, b!.error]).toEqual([0, -ERRNO.ETIMEDOUT]);
    expect(jq.inspect("q")).toMatchObject({ killed: "timeout", creditsUsed: 0, inFlight: [], waiting: [] });
  });

  it("keeps a completion the firmware already reported when the queue is killed before its predecessor finished", () => {
    const { jq } = setup([{ id: "q" }]);
    const [a, b] = ["a", "b"].map((id) => jq.submit("q", { id, credits: 1 }, 0).fence!);
    jq.jobCompleted("q", 2, 5);
    jq.killQueue("q", "cancelled", 6);
    expect([a!.error, b!.error]).toEqual([-ERRNO.ECANCELED, 0]);
    expect(a!.timestampNs! <= b!.timestampNs!).toBe(true);
  });
});
