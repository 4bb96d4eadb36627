/**
 * The other annotated fence-signalling paths, one hook each:
 *
 * - the job worker ({@link runJobSection}): `drm_sched_run_job_work` / the JobQueue's push to the
 *   ring happen after the job's done fence is published, so they are inside a section (they
 *   allocate nothing: the ring and its credits were sized at GROUP_CREATE/SUBMIT);
 * - the asynchronous VM_BIND job ({@link bindJobBegin}): `panthor_vm_bind_run_job` runs after the
 *   bind's out-fence went to the syncobjs. A map of an object without pages allocates them here
 *   (tyrsim's bind queue populates at run time, see `vmBindQueue.ts`): GFP_KERNEL under the unsafe
 *   policy, without reclaim (GFP_NOWAIT, -ENOMEM instead of the shrinker) under the safe one;
 * - tiler-heap growth on TILER_OOM ({@link heapGrowBegin}): the job waiting for a chunk cannot
 *   finish without it, so `panthor_heap_grow`'s chunk allocation is on the job fence's path —
 *   GFP_KERNEL as mainline panthor does under the unsafe policy, GFP_NOWAIT under the safe one
 *   (a failure answers 0 and the firmware waits for fragment jobs, as on -ENOMEM).
 *
 * Simplified: these paths only report and choose their gfp; they do not sleep in reclaim (the
 * job-completion path does, `jobDone.ts`). Heap chunks come from the kernel carve-out, which
 * memory pressure does not shrink.
 */
import type { DmaFence } from "../../fence/index.ts";
import type { PanthorGroup } from "../sched/schedTypes.ts";
import type { BindJob, DriverState, PanthorVm } from "../uapi/driverState.ts";
import { disciplineOf } from "./discipline.ts";
import { beginSection, endSection, pathAllocate } from "./signallingPath.ts";

/** Enter the job worker's section; returns its end. */
export function runJobSection(d: DriverState): () => void {
  const cookie = beginSection(d, "drm_sched_run_job_work");
  return () => endSection(d, "drm_sched_run_job_work", cookie);
}

/**
 * Enter `panthor_vm_bind_run_job` for `job` on `vm`: the section begins, the pages of a map's
 * object are allocated under the policy (see the module comment). Returns the section's end.
 */
export function bindJobBegin(d: DriverState, vm: PanthorVm, job: BindJob): () => void {
  const f = disciplineOf(d);
  const thread = `panthor_vm_bind_run_job:vm${vm.uid}`;
  const cookie = beginSection(d, thread);
  const obj = job.prepared.type === "map" ? d.gem.objects.get(job.prepared.bo.obj) : undefined;
  if (obj !== undefined && obj.pages === undefined) {
    const blocks: DmaFence[] = [job.done, ...vm.bindQueue.map((b) => b.done)];
    pathAllocate(d, { thread, section: "panthor_vm_bind_run_job", site: "drm_gem_shmem_get_pages" }, { bytes: obj.size, gfp: f.policy === "unsafe" ? "GFP_KERNEL" : "GFP_NOWAIT", blocks });
    if (f.policy === "safe") f.noReclaimObjs.add(obj.obj);
  }
  return () => {
    if (obj !== undefined) f.noReclaimObjs.delete(obj.obj);
    endSection(d, thread, cookie);
  };
}

/** Enter heap growth for `g` (a chunk of `bytes`); returns the section's end. */
export function heapGrowBegin(d: DriverState, g: PanthorGroup, bytes: number): () => void {
  const f = disciplineOf(d);
  const thread = `group_process_tiler_oom:g${g.uid}`;
  const cookie = beginSection(d, thread);
  const blocks = g.queues.flatMap((q) => [...q.submitted.values()].map((j) => j.fence).filter((x) => !x.signalled));
  pathAllocate(d, { thread, section: "group_process_tiler_oom", site: "panthor_heap_grow: panthor_alloc_heap_chunk" }, { bytes, gfp: f.policy === "unsafe" ? "GFP_KERNEL" : "GFP_NOWAIT", blocks });
  return () => endSection(d, thread, cookie);
}
