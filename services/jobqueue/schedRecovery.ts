/**
 * drm_sched recovery and teardown (kernel-tests.md §4.4 SCHED-D12..D16, §4.5 SCHED-T01..T05).
 *
 * Mirrors sched_main.c: `drm_sched_stop` (detach hardware-fence callbacks newest first, returning
 * their credits; free jobs already done; keep the bad job for the handler), `drm_sched_start`
 * (re-attach or complete every pending job, oldest first), `drm_sched_increase_karma`,
 * `drm_sched_invalidate_job`, `drm_sched_resubmit_jobs` (deprecated) and `drm_sched_fini` with
 * `drm_sched_cancel_remaining_jobs`. Simplified: no parking of kthreads (the workers are stopped by
 * a flag); `dma_fence_wait` on finished fences in `stop` is unnecessary (nothing runs concurrently).
 */
import { ERRNO } from "../../shared/gpu/errno.ts";
import { addCallback, removeCallback, setError } from "../fence/dmaFence.ts";
import { DRM_SCHED_PRIORITY, type DrmGpuScheduler } from "./drmSched.ts";
import type { DrmSchedJob } from "./schedJob.ts";

/**
 * `drm_sched_stop(sched, bad)`: pause the workers, put `bad` back at the head of the pending list,
 * then, newest to oldest, detach each job's hardware fence (returning its credits) or, if it already
 * signalled, drop and free the job — except `bad`, freed after the handler (`free_guilty`).
 * Cancels the TDR. Must not follow a NO_HANG verdict.
 */
export function schedStop(sched: DrmGpuScheduler, bad: DrmSchedJob | undefined, nowNs: number): void {
  sched.at(nowNs);
  sched.wqueueStop();
  if (bad && bad.sched === sched && !sched.pendingList.includes(bad)) sched.pendingList.unshift(bad);
  for (let i = sched.pendingList.length - 1; i >= 0; i--) {
    const job = sched.pendingList[i]!;
    const pair = job.sFence!;
    if (pair.parent && removeCallback(pair.parent, job.cb)) {
      pair.parent = undefined;
      sched.creditCount -= job.credits;
    } else {
      sched.pendingList.splice(i, 1);
      if (job !== bad) {
        sched.ops.freeJob(job);
        sched.record({ type: "jobFreed", job: job.id, atNs: sched.nowNs });
      } else sched.freeGuilty = true;
    }
  }
  sched.tdrExpiresNs = undefined;
}

/**
 * `drm_sched_start(sched, errno)`: oldest first, re-add each pending job's credits; a job without a
 * hardware fence completes with `errno` (or -ECANCELED); otherwise its callback is re-attached, and
 * a fence that already signalled completes it with the fence's error (or `errno`). Re-arms the TDR
 * and restarts the workers.
 */
export function schedStart(sched: DrmGpuScheduler, errno: number, nowNs: number): void {
  sched.at(nowNs);
  for (const job of [...sched.pendingList]) {
    const parent = job.sFence!.parent;
    sched.creditCount += job.credits;
    if (!parent) {
      sched.jobDone(job, errno || -ERRNO.ECANCELED);
      continue;
    }
    if (addCallback(parent, job.cb, sched.nowNs) !== 0) sched.jobDone(job, parent.error || errno);
  }
  sched.startTimeout();
  sched.wqueueStart(nowNs);
}

/**
 * `drm_sched_increase_karma(bad)`: never blames KERNEL-priority jobs; otherwise `karma++` and the
 * entity (HIGH..LOW run queues) whose scheduled-fence context matches gets its `guilty` counter set.
 */
export function schedIncreaseKarma(bad: DrmSchedJob): void {
  const sched = bad.sched;
  if (!sched || bad.priority === DRM_SCHED_PRIORITY.KERNEL) return;
  bad.karma++;
  for (const rq of sched.rqs.slice(DRM_SCHED_PRIORITY.HIGH)) {
    const entity = rq.entities.find((e) => e.fenceContext === bad.sFence?.scheduled.context);
    if (entity) {
      if (entity.guilty) entity.guilty.value = 1;
      break;
    }
  }
}

/** `drm_sched_invalidate_job(job, threshold)`: `++karma > threshold`. */
export function schedInvalidateJob(job: DrmSchedJob, threshold: number): boolean {
  return ++job.karma > threshold;
}

/**
 * `drm_sched_resubmit_jobs` (deprecated, AMD legacy): the first pending job with karma above the
 * hang limit marks its context guilty; every pending job of that context gets -ECANCELED; `run_job`
 * is called again for every pending job and its new fence becomes the parent.
 */
export function schedResubmitJobs(sched: DrmGpuScheduler, nowNs: number): void {
  sched.at(nowNs);
  let guiltyContext: number | undefined;
  for (const job of sched.pendingList) {
    const pair = job.sFence!;
    if (guiltyContext === undefined && job.karma > sched.hangLimit) guiltyContext = pair.scheduled.context;
    if (guiltyContext !== undefined && pair.scheduled.context === guiltyContext) setError(pair.finished, -ERRNO.ECANCELED);
    const hw = sched.ops.runJob(job, sched.nowNs);
    if (!hw || "errPtr" in hw) {
      if (hw) setError(pair.finished, hw.errPtr);
      pair.parent = undefined;
    } else pair.parent = hw;
  }
}

/**
 * `drm_sched_fini`: stop the workers, mark every entity stopped, cancel the TDR, and with a
 * `cancel_job` op cancel then free every pending job, newest first. Returns the number of jobs left
 * pending (the kernel warns "Tearing down scheduler while jobs are pending!" when non-zero).
 */
export function schedFini(sched: DrmGpuScheduler, nowNs: number): number {
  sched.at(nowNs);
  sched.wqueueStop();
  for (const rq of sched.rqs) for (const entity of rq.entities) entity.stopped = true;
  sched.tdrExpiresNs = undefined;
  if (sched.ops.cancelJob) {
    while (sched.pendingList.length > 0) {
      const job = sched.pendingList.pop()!;
      sched.ops.cancelJob(job, sched.nowNs);
      sched.ops.freeJob(job);
      sched.record({ type: "jobFreed", job: job.id, atNs: sched.nowNs });
    }
  }
  sched.ready = false;
  return sched.pendingList.length;
}
