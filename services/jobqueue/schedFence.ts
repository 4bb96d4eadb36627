/**
 * The scheduler's pair of fences per job (`struct drm_sched_fence`): *scheduled* signals when the
 * job is handed to the hardware (`run_job`), *finished* when the hardware fence (the *parent*)
 * signals, with its error (SCHED-D08, D17).
 *
 * Mirrors `drm_sched_fence_alloc`/`drm_sched_fence_init` (contexts `entity->fence_context` and
 * `+1`, seqno `++entity->fence_seq`), `drm_sched_fence_scheduled`, `drm_sched_fence_finished` and
 * `to_drm_sched_fence`. Simplified: no slab, no RCU; `DRM_SCHED_FENCE_DONT_PIPELINE` is a boolean
 * on the pair rather than a flag bit on the finished fence.
 */
import { getStatus, setError, signal, type DmaFence, type FenceRegistry } from "../fence/dmaFence.ts";

/** `struct drm_sched_fence`. `sched` is the scheduler's name-independent identity object. */
export interface DrmSchedFence {
  readonly scheduled: DmaFence;
  readonly finished: DmaFence;
  /** The hardware fence `run_job` returned, while the scheduler tracks it. */
  parent: DmaFence | undefined;
  readonly sched: object;
  /** `DRM_SCHED_FENCE_DONT_PIPELINE`: same-scheduler dependents wait for finished, not scheduled. */
  dontPipeline: boolean;
}

const byFence = new WeakMap<DmaFence, DrmSchedFence>();

/** `to_drm_sched_fence`: the pair a scheduled or finished fence belongs to, if any. */
export function toSchedFence(fence: DmaFence): DrmSchedFence | undefined {
  return byFence.get(fence);
}

/**
 * `drm_sched_fence_init`: the two fences of one armed job on the entity's contexts
 * (`scheduled = context`, `finished = context + 1`) with the entity's next seqno.
 */
export function schedFenceInit(registry: FenceRegistry, sched: object, entityContext: number, seqno: number, name: string): DrmSchedFence {
  const scheduled = registry.create({ context: entityContext, seqno, driverName: "drm_sched", timelineName: name });
  const finished = registry.create({ context: entityContext + 1, seqno, driverName: "drm_sched", timelineName: name });
  const pair: DrmSchedFence = { scheduled, finished, parent: undefined, sched, dontPipeline: false };
  byFence.set(scheduled, pair);
  byFence.set(finished, pair);
  return pair;
}

/** `drm_sched_fence_scheduled(fence, parent)`: record the hardware fence (if any), signal *scheduled*. */
export function schedFenceScheduled(pair: DrmSchedFence, parent: DmaFence | undefined, nowNs: number): void {
  if (parent) pair.parent = parent;
  signal(pair.scheduled, nowNs);
}

/** `drm_sched_fence_finished(fence, result)`: set the error (if non-zero), signal *finished*. */
export function schedFenceFinished(pair: DrmSchedFence, result: number, nowNs: number): void {
  if (result) setError(pair.finished, result);
  signal(pair.finished, nowNs);
}

/** The finished fence's status, for tests and events (`dma_fence_get_status`). */
export function schedFenceStatus(pair: DrmSchedFence): number {
  return getStatus(pair.finished);
}
