import { EventRegistry } from "../../../shared/events/registry.ts";
import { JobFenceSignalled, JobSubmitted } from "../../../services/driver/sched/schedEvents.ts";
import { gpuOf, refOf, type EventRef } from "../eventRef.ts";
import type { InvariantDef } from "./invariant.ts";

/**
 * Every job fence is signalled exactly once (`dma_fence_signal()` on an already signalled fence
 * is the kernel's -EINVAL and a WARN): a second `JobFenceSignalled` for the same fence of the
 * same driver is a violation naming both signals, and so is a signal of a fence no
 * `JobSubmitted` created (a fence from nowhere — the log is read from its start, so every fence
 * a driver signals was created earlier in it). A fence never signalled at all is
 * `fences-signal-in-bound`'s business (it knows how long a fence may stay pending).
 */
export const fencesSignalOnce: InvariantDef = {
  name: "fences-signal-once",
  statement: "every job fence is signalled exactly once, and only fences a submission created",
  reads: [JobSubmitted, JobFenceSignalled],
  create(report) {
    const created = new Map<string, EventRef>();
    const signalled = new Map<string, EventRef>();
    return {
      push(e) {
        if (EventRegistry.is(JobSubmitted, e)) {
          created.set(`${gpuOf(e) ?? 0}/${e.payload.fence}`, refOf(e));
        } else if (EventRegistry.is(JobFenceSignalled, e)) {
          const gpu = gpuOf(e) ?? 0;
          const key = `${gpu}/${e.payload.fence}`;
          const what = `fence ${e.payload.fence} of job ${e.payload.job} (file ${e.payload.file}, group ${e.payload.group}, queue ${e.payload.queue})`;
          const first = signalled.get(key);
          const submit = created.get(key);
          if (first !== undefined) {
            report({ message: `${what} was signalled a second time (error ${e.payload.error}), ${e.timeNs - first.timeNs} ns after its first signal`, timeNs: e.timeNs, gpu, events: [first, refOf(e)] });
          } else if (submit === undefined) {
            report({ message: `${what} was signalled but no JobSubmitted created it`, timeNs: e.timeNs, gpu, events: [refOf(e)] });
          }
          if (first === undefined) signalled.set(key, refOf(e));
          // A signalled fence is final: only its signal needs remembering (for a second one).
          created.delete(key);
        }
      },
      finish() {},
    };
  },
};
