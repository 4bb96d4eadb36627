/**
 * A drm_sched job from init to push (SCHED-D01, D07, D17, D18).
 *
 * Mirrors `drm_sched_job_init` (credits and run-queue checks), `drm_sched_job_add_dependency`
 * (per-context de-duplication keeping the later fence), `drm_sched_job_arm` (rq selection, seqno,
 * fences: the point of no return) and `drm_sched_job_cleanup`. Simplified: dependencies are an
 * array instead of an XArray; no `drm_client_id` or owner; the driver payload is `data`.
 */
import { ERRNO } from "../../shared/gpu/errno.ts";
import { fenceCallback, type DmaFence, type FenceCallback } from "../fence/dmaFence.ts";
import { isLater } from "../fence/seqno.ts";
import { entitySelectRq, type DrmSchedEntity } from "./entity.ts";
import { schedFenceInit, type DrmSchedFence } from "./schedFence.ts";
import type { DrmGpuScheduler } from "./drmSched.ts";

/** `struct drm_sched_job`. */
export interface DrmSchedJob {
  readonly id: string;
  /** Driver payload (the `container_of` side of the kernel struct). */
  readonly data: unknown;
  /** Cleared when the scheduler pops the job (the kernel does the same). */
  entity: DrmSchedEntity | undefined;
  sched: DrmGpuScheduler | undefined;
  credits: number;
  /** Explicit dependencies, one per fence context. */
  readonly dependencies: DmaFence[];
  /** Index of the next dependency the scheduler will look at (`last_dependency`). */
  lastDependency: number;
  sFence: DrmSchedFence | undefined;
  /** `s_priority`, captured at arm. */
  priority: number;
  submitTsNs: number;
  karma: number;
  /** Callback slot on the hardware fence (`job->cb`). */
  readonly cb: FenceCallback;
  /** Callback slot used while killing (`job->finish_cb`). */
  finishCb: FenceCallback | undefined;
}

/**
 * `drm_sched_job_init(job, entity, credits, owner)`: -ENOENT if the entity has no run queue,
 * -EINVAL for zero credits; otherwise the job.
 */
export function jobInit(args: { id: string; entity: DrmSchedEntity; credits: number; data?: unknown }): DrmSchedJob | number {
  if (!args.entity.rq) return -ERRNO.ENOENT;
  if (!args.credits) return -ERRNO.EINVAL;
  const job: DrmSchedJob = {
    id: args.id, data: args.data, entity: args.entity, sched: undefined, credits: args.credits,
    dependencies: [], lastDependency: 0, sFence: undefined, priority: args.entity.priority, submitTsNs: 0, karma: 0,
    cb: fenceCallback((hw) => job.sched?.jobDoneFromHw(job, hw)), finishCb: undefined,
  };
  return job;
}

/**
 * `drm_sched_job_add_dependency`: no-op for a missing fence; one fence per context, keeping the
 * later one. Always 0 (the kernel's -ENOMEM cannot happen here).
 */
export function jobAddDependency(job: DrmSchedJob, fence: DmaFence | undefined): number {
  if (!fence) return 0;
  const i = job.dependencies.findIndex((d) => d.context === fence.context);
  if (i < 0) job.dependencies.push(fence);
  else if (isLater(fence, job.dependencies[i]!)) job.dependencies[i] = fence;
  return 0;
}

/**
 * `drm_sched_job_arm`: pick the run queue (load balancing / priority change, see
 * {@link entitySelectRq}), capture the priority, take the entity's next seqno (from 1) and create
 * the scheduled/finished fences. After this the job must be pushed.
 */
export function jobArm(job: DrmSchedJob): DrmSchedFence {
  const entity = job.entity;
  if (!entity) throw new Error(`jobArm(${job.id}): the job has no entity (already popped or cleaned up)`);
  entitySelectRq(entity);
  const sched = entity.rq?.sched;
  if (!sched) throw new Error(`jobArm(${job.id}): entity ${entity.name} has no run queue`);
  job.sched = sched;
  job.priority = entity.priority;
  job.sFence = schedFenceInit(sched.registry, sched, entity.fenceContext, ++entity.fenceSeq, `${sched.name}:${entity.name}`);
  return job.sFence;
}

/** `drm_sched_job_cleanup`: drop the dependencies of a job that will not run (before arm) or is done. */
export function jobCleanup(job: DrmSchedJob): void {
  job.dependencies.length = 0;
  job.lastDependency = 0;
}
