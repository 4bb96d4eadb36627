/**
 * drm_sched entities: per-client FIFOs of jobs with a priority, feeding one scheduler's run queue
 * (kernel-tests.md §4.4: SCHED-D01, D04, D06, D07, D09, D10, D17).
 *
 * Mirrors sched_entity.c: `drm_sched_entity_init`, `drm_sched_entity_set_priority`,
 * `drm_sched_entity_modify_sched`, `drm_sched_entity_select_rq`, `drm_sched_entity_push_job`,
 * `drm_sched_entity_is_ready`, `drm_sched_entity_is_idle`, `drm_sched_entity_pop_job` with
 * `drm_sched_job_dependency` and `drm_sched_entity_add_dependency_cb` (own contexts ignored,
 * same-scheduler fences pipelined on *scheduled*), and `drm_sched_entity_kill` / `_fini` with
 * `drm_sched_entity_kill_jobs_cb`. Simplified: no spinlocks or spsc queue; the kill work runs
 * synchronously; `drm_sched_entity_flush` (a blocking wait) is left to the caller, which advances
 * virtual time until {@link entityIsIdle}; a priority change takes effect at the next arm that
 * finds the queue empty (the kernel applies it in `select_rq` too; exactly when is unverified).
 */
import { ERRNO } from "../../shared/gpu/errno.ts";
import { addCallback, fenceCallback, isSignaled, removeCallback, setError, type DmaFence, type FenceCallback, type FenceRegistry } from "../fence/dmaFence.ts";
import { toSchedFence, schedFenceFinished, schedFenceScheduled } from "./schedFence.ts";
import type { DrmGpuScheduler, DrmSchedRq } from "./drmSched.ts";
import type { DrmSchedJob } from "./schedJob.ts";

/** `ESRCH` (3, "no such process"): the error of jobs killed with their entity. */
export const ESRCH = ERRNO.ESRCH;

/** `struct drm_sched_entity`. */
export interface DrmSchedEntity {
  readonly name: string;
  priority: number;
  rq: DrmSchedRq | undefined;
  /** Schedulers to balance over; undefined for a single driver-managed scheduler. */
  schedList: DrmGpuScheduler[] | undefined;
  /** Shared `guilty` counter (amdgpu style), if the driver gave one. */
  readonly guilty: { value: number } | undefined;
  /** `fence_context`: scheduled fences use it, finished fences use it + 1. */
  readonly fenceContext: number;
  fenceSeq: number;
  readonly jobQueue: DrmSchedJob[];
  /** The fence the head job is blocked on, with its callback. */
  dependency: DmaFence | undefined;
  dependencyCb: FenceCallback | undefined;
  /** Finished fence of the last popped job. */
  lastScheduled: DmaFence | undefined;
  stopped: boolean;
  /** FIFO key: head job's submit time, then insertion order (rb-tree ties go right). */
  oldestJobWaitingNs: number;
  fifoSeq: number;
}

/**
 * `drm_sched_entity_init(entity, priority, sched_list, num, guilty)`: -EINVAL for a null list (or
 * null first element); an empty list is legal and leaves the entity without a run queue; an
 * out-of-range priority is clamped to the lowest run queue. Allocates two fence contexts.
 */
export function entityInit(registry: FenceRegistry, args: {
  name: string; priority: number; schedList: readonly (DrmGpuScheduler | null)[] | null; guilty?: { value: number };
}): DrmSchedEntity | number {
  if (!args.schedList || (args.schedList.length > 0 && !args.schedList[0])) return -ERRNO.EINVAL;
  const list = args.schedList.filter((s): s is DrmGpuScheduler => s !== null);
  const first = list[0];
  const priority = first && args.priority >= first.numRqs ? Math.max(first.numRqs - 1, 0) : args.priority;
  return {
    name: args.name, priority, rq: first?.rqs[priority], schedList: list.length > 1 ? list : undefined,
    guilty: args.guilty, fenceContext: registry.contextAlloc(2), fenceSeq: 0, jobQueue: [], dependency: undefined,
    dependencyCb: undefined, lastScheduled: undefined, stopped: false, oldestJobWaitingNs: 0, fifoSeq: 0,
  };
}

/** `drm_sched_entity_set_priority`: stored; applied at the next {@link entitySelectRq}. */
export function entitySetPriority(entity: DrmSchedEntity, priority: number): void {
  entity.priority = priority;
}

/** `drm_sched_entity_modify_sched`: new scheduler list, used at the next {@link entitySelectRq}. */
export function entityModifySched(entity: DrmSchedEntity, schedList: readonly DrmGpuScheduler[]): void {
  entity.schedList = [...schedList];
}

/**
 * `drm_sched_entity_select_rq` (called by arm): only with an empty queue and the last job finished,
 * move to the least-loaded scheduler of the list (`drm_sched_pick_best`) at the current priority.
 */
export function entitySelectRq(entity: DrmSchedEntity): void {
  if (entity.jobQueue.length > 0) return;
  if (entity.lastScheduled && !isSignaled(entity.lastScheduled)) return;
  let sched = entity.rq?.sched;
  if (entity.schedList) {
    sched = entity.schedList.reduce((best, s) => (s.score() < best.score() ? s : best), entity.schedList[0]!);
    if (entity.schedList.length === 1) entity.schedList = undefined;
  }
  const rq = sched?.rqs[Math.min(entity.priority, (sched?.numRqs ?? 1) - 1)];
  if (rq !== entity.rq) {
    if (entity.rq) rqRemoveEntity(entity.rq, entity);
    entity.rq = rq;
  }
}

/** `drm_sched_rq_add_entity`. */
export function rqAddEntity(rq: DrmSchedRq, entity: DrmSchedEntity): void {
  if (!rq.entities.includes(entity)) rq.entities.push(entity);
}

/** `drm_sched_rq_remove_entity`. */
export function rqRemoveEntity(rq: DrmSchedRq, entity: DrmSchedEntity): void {
  const i = rq.entities.indexOf(entity);
  if (i >= 0) rq.entities.splice(i, 1);
  if (rq.current === entity) rq.current = undefined;
}

/**
 * `drm_sched_entity_push_job`: stamp the submit time, queue the job; the first job of an empty
 * queue adds the entity to its run queue and wakes the scheduler. On a killed entity the kernel
 * logs "Trying to push to a killed entity" and the job is never run: reported here as -ESRCH.
 */
export function entityPushJob(job: DrmSchedJob, nowNs: number): number {
  const entity = job.entity;
  if (!entity?.rq) throw new Error(`entityPushJob(${job.id}): job has no entity with a run queue`);
  job.submitTsNs = nowNs;
  const first = entity.jobQueue.length === 0;
  entity.jobQueue.push(job);
  const sched = entity.rq.sched;
  sched.record({ type: "jobQueued", job: job.id, entity: entity.name, atNs: nowNs });
  if (!first) return 0;
  if (entity.stopped) return -ESRCH;
  rqAddEntity(entity.rq, entity);
  entity.oldestJobWaitingNs = nowNs;
  entity.fifoSeq = sched.nextFifoSeq();
  sched.wakeup(nowNs);
  return 0;
}

/** `drm_sched_entity_is_ready`: a queued job and no unresolved dependency. */
export function entityIsReady(entity: DrmSchedEntity): boolean {
  return entity.jobQueue.length > 0 && entity.dependency === undefined;
}

/** `drm_sched_entity_is_idle`: what `drm_sched_entity_flush` waits for. */
export function entityIsIdle(entity: DrmSchedEntity): boolean {
  return !entity.rq || !entity.rq.entities.includes(entity) || entity.jobQueue.length === 0 || entity.stopped;
}

/**
 * `drm_sched_entity_add_dependency_cb`: true if the entity must wait on `fence` (a callback is
 * installed), false to go on. Own contexts are ignored; an error-free, pipelinable fence of the
 * same scheduler is replaced by its *scheduled* fence.
 */
function addDependencyCb(entity: DrmSchedEntity, sched: DrmGpuScheduler, fence: DmaFence): boolean {
  if (fence.context === entity.fenceContext || fence.context === entity.fenceContext + 1) return false;
  const pair = toSchedFence(fence);
  const waitOn = !fence.error && pair && pair.sched === sched && !pair.dontPipeline ? pair.scheduled : fence;
  const cb = fenceCallback((f) => {
    entity.dependency = undefined;
    entity.dependencyCb = undefined;
    sched.wakeup(f.timestampNs ?? sched.nowNs);
  });
  entity.dependency = waitOn;
  entity.dependencyCb = cb;
  if (addCallback(waitOn, cb, sched.nowNs) === 0) return true;
  entity.dependency = undefined;
  entity.dependencyCb = undefined;
  return false;
}

/**
 * `drm_sched_entity_pop_job`: resolve the head job's dependencies one by one (explicit ones, then
 * `prepare_job`), returning undefined if one is pending; mark it -ECANCELED if the entity is
 * guilty; update `last_scheduled` and the FIFO key; detach the job from the entity.
 */
export function entityPopJob(entity: DrmSchedEntity, sched: DrmGpuScheduler): DrmSchedJob | undefined {
  const job = entity.jobQueue[0];
  if (!job) return undefined;
  for (let dep = nextDependency(job, entity, sched); dep; dep = nextDependency(job, entity, sched)) {
    if (addDependencyCb(entity, sched, dep)) return undefined;
  }
  if (entity.guilty && entity.guilty.value) setError(job.sFence!.finished, -ERRNO.ECANCELED);
  entity.lastScheduled = job.sFence!.finished;
  entity.jobQueue.shift();
  const next = entity.jobQueue[0];
  if (next) { entity.oldestJobWaitingNs = next.submitTsNs; entity.fifoSeq = sched.nextFifoSeq(); }
  job.entity = undefined;
  return job;
}

/** `drm_sched_job_dependency`: the next explicit dependency, then whatever `prepare_job` returns. */
function nextDependency(job: DrmSchedJob, entity: DrmSchedEntity, sched: DrmGpuScheduler): DmaFence | undefined {
  const f = job.dependencies[job.lastDependency];
  if (f) { job.lastDependency++; return f; }
  return sched.ops.prepareJob?.(job, entity) ?? undefined;
}

/**
 * `drm_sched_entity_fini` (= kill + drop the pending dependency callback): stop the entity, take
 * it off its run queue and end every queued job: *scheduled* without a parent, *finished* with
 * -ESRCH, each only after the previous killed job's finished fence and all its own dependencies
 * (a dependency's scheduled fence counts as its finished one), then `free_job`.
 */
export function entityFini(entity: DrmSchedEntity, nowNs: number): void {
  if (entity.rq) {
    entity.stopped = true;
    rqRemoveEntity(entity.rq, entity);
    let prev = entity.lastScheduled;
    for (let job = entity.jobQueue.shift(); job; job = entity.jobQueue.shift()) {
      const killed = job;
      killed.finishCb = fenceCallback((f) => killJobsCb(killed, f.timestampNs ?? nowNs));
      if (!prev || addCallback(prev, killed.finishCb, nowNs) !== 0) killJobsCb(killed, nowNs);
      prev = killed.sFence!.finished;
    }
  }
  if (entity.dependency && entity.dependencyCb) removeCallback(entity.dependency, entity.dependencyCb);
  entity.dependency = undefined;
  entity.dependencyCb = undefined;
  entity.lastScheduled = undefined;
}

/** `drm_sched_entity_kill_jobs_cb` + `_kill_jobs_work`. */
function killJobsCb(job: DrmSchedJob, nowNs: number): void {
  while (job.dependencies.length > 0) {
    let f = job.dependencies.shift()!;
    const pair = toSchedFence(f);
    if (pair && f === pair.scheduled) f = pair.finished;
    if (!f.signalled && addCallback(f, job.finishCb!, nowNs) === 0) return;
  }
  const pair = job.sFence!;
  schedFenceScheduled(pair, undefined, nowNs);
  schedFenceFinished(pair, -ESRCH, nowNs);
  const sched = job.sched!;
  sched.record({ type: "jobKilled", job: job.id, atNs: nowNs });
  sched.ops.freeJob(job);
  sched.record({ type: "jobFreed", job: job.id, atNs: nowNs });
}
