/**
 * Property: for random job DAGs over several queues and random firmware behaviour (completions in
 * any order, with errors, queue kills, residency changes, timeouts), every done fence ends
 * signalled exactly once, never before its dependencies, in seqno order per queue, and no ring is
 * ever over-committed. Seeded: `{ seed: 7, numRuns: 200 }`.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ERRNO } from "../../shared/gpu/errno.ts";
import { addCallback, fenceCallback, FenceRegistry, type DmaFence } from "../fence/dmaFence.ts";
import { JobQueues } from "./jobQueue.ts";
import type { JobQueueEffect, LossReason } from "./jobQueueEffects.ts";

const S = 1_000_000_000;

type Step =
  | { readonly kind: "submit" }
  | { readonly kind: "complete"; readonly pick: number; readonly fault: boolean }
  | { readonly kind: "kill"; readonly queue: number; readonly reason: LossReason }
  | { readonly kind: "resident"; readonly queue: number; readonly on: boolean }
  | { readonly kind: "tick"; readonly dtNs: number };

const scenario = fc.integer({ min: 1, max: 4 }).chain((queues) =>
  fc.record({
    capacities: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: queues, maxLength: queues }),
    jobs: fc.array(fc.record({ queue: fc.nat(queues - 1), credits: fc.nat(6), deps: fc.uniqueArray(fc.nat(40), { maxLength: 3 }) }), { minLength: 1, maxLength: 30 }),
    steps: fc.array(
      fc.oneof(
        { weight: 6, arbitrary: fc.constant<Step>({ kind: "submit" }) },
        { weight: 6, arbitrary: fc.record({ kind: fc.constant("complete" as const), pick: fc.nat(), fault: fc.boolean() }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant("kill" as const), queue: fc.nat(queues - 1), reason: fc.constantFrom<LossReason>("timeout", "fatal-fault", "cancelled") }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant("resident" as const), queue: fc.nat(queues - 1), on: fc.boolean() }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant("tick" as const), dtNs: fc.integer({ min: 1, max: 3 * S }) }) },
      ),
      { maxLength: 80 },
    ),
  }),
);

describe("JobQueue fences under random DAGs and firmware behaviour", () => {
  it("every fence signals exactly once, never before its dependencies, in seqno order per queue, within ring credits", () => {
    fc.assert(
      fc.property(scenario, ({ capacities, jobs, steps }) => {
        const registry = new FenceRegistry();
        const jq = new JobQueues(registry);
        const qid = (i: number) => `q${i}`;
        capacities.forEach((capacity, i) => jq.createQueue({ id: qid(i), capacity, timeoutNs: 5 * S, resident: true }));
        const fences: DmaFence[] = [];
        const deps: DmaFence[][] = [];
        const signals = new Map<DmaFence, number>();
        const lastSeqno = new Map<number, bigint>();
        const onRing: { queue: string; seqno: number }[] = [];
        let now = 0;

        const observe = (effects: readonly JobQueueEffect[]) => {
          for (const e of effects) {
            if (e.type === "pushToRing") onRing.push({ queue: e.queue, seqno: e.seqno });
            const snap = "queue" in e ? jq.inspect(e.queue)! : undefined;
            if (snap) expect(snap.creditsUsed).toBeLessThanOrEqual(snap.capacity);
          }
        };
        const submitNext = () => {
          const i = fences.length;
          const job = jobs[i]!;
          const q = job.queue;
          const jobDeps = i === 0 ? [] : [...new Set(job.deps.map((d) => d % i))].map((d) => fences[d]!);
          const r = jq.submit(qid(q), { id: `j${i}`, credits: Math.min(job.credits, capacities[q]!), deps: jobDeps }, now);
          if (r.errno !== 0) {
            expect(r.errno).toBe(-ERRNO.EINVAL); // a killed queue refuses work
            fences.push(registry.stub());
            deps.push([]);
            return;
          }
          const fence = r.fence!;
          expect(fence.signalled).toBe(false);
          addCallback(fence, fenceCallback((f) => {
            signals.set(f, (signals.get(f) ?? 0) + 1);
            for (const d of jobDeps) expect(d.signalled, `j${i} signalled before its dependency ${d.id}`).toBe(true);
            const prev = lastSeqno.get(f.context);
            expect(prev === undefined || f.seqno > prev, `j${i} out of seqno order`).toBe(true);
            lastSeqno.set(f.context, f.seqno);
          }));
          fences.push(fence);
          deps.push(jobDeps);
          observe(r.effects);
        };
        const complete = (pick: number, fault: boolean) => {
          if (onRing.length === 0) return;
          const [job] = onRing.splice(pick % onRing.length, 1);
          observe(jq.jobCompleted(job!.queue, job!.seqno, now, fault ? -ERRNO.EIO : 0).effects);
        };

        for (const step of steps) {
          now += 1000;
          if (step.kind === "submit" && fences.length < jobs.length) submitNext();
          else if (step.kind === "complete") complete(step.pick, step.fault);
          else if (step.kind === "kill") observe(jq.killQueue(qid(step.queue), step.reason, now).effects);
          else if (step.kind === "resident") observe(jq.setResident(qid(step.queue), step.on, now).effects);
          else if (step.kind === "tick") observe(jq.advanceTo((now += step.dtNs)).effects);
          observe(jq.takeEffects());
        }
        while (fences.length < jobs.length) submitNext();
        // Drain: the firmware finishes whatever is on a ring; parked queues come back on a slot.
        for (let guard = 0; fences.some((f) => !f.signalled) && guard < 10_000; guard++) {
          now += 1000;
          capacities.forEach((_, i) => observe(jq.setResident(qid(i), true, now).effects));
          if (onRing.length > 0) complete(0, false);
          else observe(jq.advanceTo((now += 6 * S)).effects);
        }
        for (const [i, f] of fences.entries()) {
          if (f === registry.stub()) continue;
          expect(signals.get(f), `j${i} signalled ${signals.get(f) ?? 0} times`).toBe(1);
        }
      }),
      { seed: 7, numRuns: 200 },
    );
  });
});
