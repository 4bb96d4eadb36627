/**
 * The job-completion path as a fence-signalling section (`group_sync_upd_work` →
 * `queue_check_job_completion` → `dma_fence_signal`, panthor.md §4.2 step 3), and what it needs
 * memory for: the per-job completion bookkeeping — the `dma_fence_chain` node that puts the done
 * fence on a timeline out-syncobj, the job's done-work item. Panthor allocates these at submit
 * (`panthor_submit_ctx_add_sync_signal` → `dma_fence_chain_alloc()` in the ioctl, where reclaim is
 * allowed): the `safe` policy. The `unsafe` policy allocates them with GFP_KERNEL inside the
 * section, which lockdep flags on every run (FENCE-R05) and which deadlocks under memory pressure:
 * reclaim runs the GEM shrinker, the shrinker waits on the VM reservation of a busy object, and
 * that reservation holds the very fence this path is about to signal (or one behind it).
 *
 * Simplified: one allocation per completed job of {@link JOB_DONE_BYTES} (one slab page, assumed);
 * a path asleep in reclaim is a kernel task waiting for the fences the shrinker waits on, after
 * which the allocation is done; a deadlocked path stays asleep for good (its section never ends).
 */
import type { DmaFence } from "../../fence/index.ts";
import { waitEvent, type KTask } from "../ktask.ts";
import type { PanthorGroup, PanthorQueue, RingJob } from "../sched/schedTypes.ts";
import type { KernelCtx } from "../uapi/ioctlContext.ts";
import type { DriverState } from "../uapi/driverState.ts";
import { disciplineOf } from "./discipline.ts";
import { FenceDeadlockDetected, fencePaths } from "./fenceEvents.ts";
import { busyVms, waitFenceOf } from "./memoryView.ts";
import { beginSection, endSection, pathAllocate, pathWait, type JobRef, type PathSite } from "./signallingPath.ts";

/** Bytes of completion bookkeeping per job (assumed: one slab page when the cache is empty). */
export const JOB_DONE_BYTES = 4096;

const SECTION = "group_sync_upd_work";
const SITE = "queue_check_job_completion: dma_fence_chain_alloc";
/** Reserves kept before the ones of already signalled fences are swept. */
const RESERVE_SWEEP = 256;

/**
 * GROUP_SUBMIT's share (`panthor_submit_ctx_add_sync_signal`): under the safe policy the job's
 * completion memory is allocated now, outside any section (GFP_KERNEL is fine here), and kept
 * for its completion.
 */
export function reserveJobDone(d: DriverState, fence: DmaFence): void {
  const f = disciplineOf(d);
  if (f.policy !== "safe") return;
  f.checker.allocate("ioctl", "GFP_KERNEL", "panthor_submit_ctx_add_sync_signal: dma_fence_chain_alloc");
  // Jobs lost without completing (killed queues) never take their reserve: freed with their fence.
  if (f.reserves.size >= RESERVE_SWEEP) for (const [id, x] of f.reserves) if (x.signalled) f.reserves.delete(id);
  f.reserves.set(fence.id, fence);
}

/** The group's unsignalled job fences, oldest first per queue: what its completion work signals. */
function pendingFences(g: PanthorGroup): DmaFence[] {
  return g.queues.flatMap((q) => [...q.submitted.values()].map((j) => j.fence).filter((f) => !f.signalled));
}

function jobRef(g: PanthorGroup, q: PanthorQueue, j: RingJob): JobRef | undefined {
  const fence = q.submitted.get(j.seqno)?.fence;
  return fence === undefined ? undefined : { file: g.file, group: g.handle, queue: q.index, job: j.id, fence: fence.id };
}

/**
 * Enter `group_sync_upd_work` for `g`, about to complete `done` (each queue's finished ring jobs):
 * the section begins and each job's completion memory is taken — from its reserve, or allocated
 * under the policy. Returns the section's end, or undefined when the work is asleep in reclaim
 * (then `retry` runs once the fences it waits on signal) or deadlocked: the caller signals nothing.
 */
export function jobDoneBegin(kc: KernelCtx, g: PanthorGroup, done: readonly { q: PanthorQueue; job: RingJob }[], retry: () => void): (() => void) | undefined {
  const { d } = kc;
  const f = disciplineOf(d);
  if (f.inReclaim.has(g.uid)) return undefined;
  const thread = `${SECTION}:g${g.uid}`;
  const cookie = beginSection(d, thread);
  const end = () => endSection(d, thread, cookie);
  for (const { q, job } of done) {
    const ref = jobRef(g, q, job);
    if (ref === undefined) continue;
    if (f.reserves.delete(ref.fence)) continue;
    const at: PathSite = { thread, section: SECTION, site: SITE, job: ref };
    const blocks = pendingFences(g);
    const outcome = pathAllocate(d, at, { bytes: JOB_DONE_BYTES, gfp: f.policy === "unsafe" ? "GFP_KERNEL" : "GFP_NOWAIT", blocks });
    if (outcome.kind === "deadlock") {
      deadlocked(kc, g, at, ref, outcome.waitsOn, blocks);
      return undefined;
    }
    if (outcome.kind === "blocked") {
      const waits = busyVms(d).flatMap((b) => b.fences.map((x) => x.fence)).filter((x) => outcome.waitsOn.includes(x.id));
      pathWait(d, { ...at, site: "drm_gem_shrinker: dma_resv_wait_timeout" }, waits);
      f.inReclaim.set(g.uid, "waiting");
      kc.spawn(`${thread}:reclaim`, sleepInReclaim(kc, g, ref, q.submitted.get(job.seqno)!.fence, waits, end, retry));
      return undefined;
    }
  }
  return end;
}

/** The path asleep in direct reclaim until the shrinker's fences signal; then the allocation is done. */
function* sleepInReclaim(kc: KernelCtx, g: PanthorGroup, ref: JobRef, fence: DmaFence, waits: readonly DmaFence[], end: () => void, retry: () => void): KTask<void> {
  yield* waitEvent(() => (waits.every((x) => x.signalled) ? true : undefined), Number.POSITIVE_INFINITY);
  const f = disciplineOf(kc.d);
  f.inReclaim.delete(g.uid);
  f.reserves.set(ref.fence, fence);
  end();
  retry();
}

/** Report the deadlock (the shrinker's wait inside the section, then the cycle) and leave the work asleep. */
function deadlocked(kc: KernelCtx, g: PanthorGroup, at: PathSite, ref: JobRef, waitsOn: number, blocks: readonly DmaFence[]): void {
  const { d } = kc;
  const f = disciplineOf(d);
  const ids = new Set(blocks.map((x) => x.id));
  const busy = busyVms(d).find((b) => b.bytes > 0 && waitFenceOf(b, ids).fence.id === waitsOn)!;
  const held = waitFenceOf(busy, ids);
  pathWait(d, { ...at, site: "drm_gem_shrinker: dma_resv_wait_timeout" }, [held.fence]);
  f.inReclaim.set(g.uid, "deadlocked");
  const own = held.fence.id === ref.fence;
  const cycle = [
    `fence ${ref.fence} (job ${ref.job}) is signalled by ${at.thread}`,
    `${at.thread} allocates ${JOB_DONE_BYTES} bytes with GFP_KERNEL inside its fence-signalling section (${at.site})`,
    "the allocation enters direct reclaim, which runs the GEM shrinker",
    `the shrinker waits (dma_resv_wait_timeout) on VM ${busy.vm.uid}'s objects [${busy.objects.join(", ")}] for fence ${held.fence.id} (job ${held.job})`,
    own ? `fence ${ref.fence} can only signal once ${at.thread} returns from the allocation` : `fence ${held.fence.id} signals only after fence ${ref.fence}, from the same ${at.thread}`,
  ];
  f.publish(FenceDeadlockDetected, fencePaths(d.dev.gpu).fence, {
    thread: at.thread, section: at.section, site: at.site, job: ref,
    waitsOn: { fence: held.fence.id, job: held.job, vm: busy.vm.uid, objects: [...busy.objects] },
    stuckFences: blocks.map((x) => x.id),
    cycle,
    message: `deadlock: fence ${ref.fence} ⇄ allocation — ${at.thread} waits in reclaim for fence ${held.fence.id}, which cannot signal until it returns`,
  });
}
