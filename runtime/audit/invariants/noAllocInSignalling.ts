import { EventRegistry } from "../../../shared/events/registry.ts";
import { FenceDeadlockDetected, FenceSignallingViolation, SignallingPathAllocated } from "../../../services/driver/fence/fenceEvents.ts";
import { JobSubmitted } from "../../../services/driver/sched/schedEvents.ts";
import { gpuOf, refOf, type EventRef } from "../eventRef.ts";
import type { InvariantDef } from "./invariant.ts";

/** The events the checker reads beyond the time and GPU of every event. */
const READS: ReadonlySet<string> = new Set([JobSubmitted, SignallingPathAllocated, FenceSignallingViolation, FenceDeadlockDetected].map((d) => d.type));

/**
 * No allocation that can recurse into reclaim happens inside a fence-signalling section
 * (kernel-tests.md FENCE-R05, R08b): every `SignallingPathAllocated` the driver publishes for an
 * annotated path (job completion, the job worker, async VM_BIND, tiler-heap growth) must carry
 * flags without direct reclaim (GFP_NOWAIT, GFP_ATOMIC). A reclaiming one is a violation at once,
 * proven by the `JobSubmitted` that published the fence the section signals (when the allocation
 * names a job) and the allocation itself. The driver's lockdep report (`FenceSignallingViolation`)
 * and a `FenceDeadlockDetected` of the same thread in the same instant are added to the proof
 * when they follow, so the report shows what the allocation led to.
 */
export const noAllocInSignalling: InvariantDef = {
  name: "no-alloc-in-fence-signalling",
  statement: "no allocation that can recurse into reclaim happens inside a fence-signalling section",
  create(report) {
    const submitted = new Map<string, EventRef>();
    let open: { gpu: number; thread: string; timeNs: number; message: string; events: EventRef[] } | undefined;
    const flush = () => {
      if (open !== undefined) report({ message: open.message, timeNs: open.timeNs, gpu: open.gpu, events: open.events });
      open = undefined;
    };
    return {
      push(e) {
        if (open !== undefined && (e.timeNs !== open.timeNs || (gpuOf(e) ?? 0) !== open.gpu)) flush();
        if (!READS.has(e.type)) return;
        const gpu = gpuOf(e) ?? 0;
        if (EventRegistry.is(JobSubmitted, e)) {
          submitted.set(`${gpu}/${e.payload.job}`, refOf(e));
        } else if (EventRegistry.is(SignallingPathAllocated, e) && e.payload.mayReclaim) {
          flush();
          const p = e.payload;
          const fenceRef = p.job === undefined ? undefined : submitted.get(`${gpu}/${p.job.job}`);
          open = {
            gpu, thread: p.thread, timeNs: e.timeNs, events: [...(fenceRef !== undefined ? [fenceRef] : []), refOf(e)],
            message: `${p.thread} allocated ${p.bytes} bytes with ${p.gfp} inside its fence-signalling section (${p.section}, ${p.site})` +
              `${p.job === undefined ? "" : ` while signalling fence ${p.job.fence} of job ${p.job.job}`}; the allocation ${p.outcome === "deadlock" ? "deadlocked in reclaim" : p.outcome === "blocked" ? "slept in reclaim on busy objects' fences" : p.outcome === "failed" ? "failed" : "could have entered reclaim"}`,
          };
        } else if (open !== undefined && (EventRegistry.is(FenceSignallingViolation, e) || EventRegistry.is(FenceDeadlockDetected, e)) && e.payload.thread === open.thread) {
          open.events.push(refOf(e));
        }
      },
      finish() {
        flush();
      },
    };
  },
};
