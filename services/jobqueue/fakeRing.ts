/**
 * Test fixture: a drm_sched scheduler over a hand-driven ring. Every `run_job` returns a fresh
 * hardware fence that the test signals itself, so a test controls completion order and errors
 * exactly; unlike the KUnit mock (mockScheduler.ts) there is no clock and no job duration.
 */
import { ERRNO } from "../../shared/gpu/errno.ts";
import { FenceRegistry, signal, type DmaFence } from "../fence/dmaFence.ts";
import { createScheduler, DRM_SCHED_PRIORITY, type DrmGpuSchedStat, type DrmGpuScheduler, type DrmSchedBackendOps, type RunJobResult } from "./drmSched.ts";
import { entityInit, entityPushJob, type DrmSchedEntity } from "./entity.ts";
import { jobAddDependency, jobArm, jobInit, type DrmSchedJob } from "./schedJob.ts";

/** The scheduler, the jobs it ran, their hardware fences and what it freed. */
export interface Ring {
  readonly registry: FenceRegistry;
  readonly sched: DrmGpuScheduler;
  readonly ran: DrmSchedJob[];
  readonly hw: Map<DrmSchedJob, DmaFence>;
  readonly freed: string[];
  runResult?: (job: DrmSchedJob) => RunJobResult | undefined;
  /** What `timedout_job` answers, or a handler (a driver's recovery) that decides. */
  timedout: DrmGpuSchedStat | ((job: DrmSchedJob, nowNs: number) => DrmGpuSchedStat);
}

/** A scheduler over a ring whose hardware fences the test signals; `runResult` may override `run_job`. */
export function ring(opts: { creditLimit?: number; timeoutNs?: number; policy?: "fifo" | "rr"; cancel?: boolean; numRqs?: number; hangLimit?: number } = {}, registry = new FenceRegistry()): Ring {
  const hwCtx = registry.contextAlloc(1);
  let seq = 0;
  const r: Partial<Ring> & Pick<Ring, "ran" | "hw" | "freed" | "timedout"> = { registry, ran: [], hw: new Map(), freed: [], timedout: "reset" };
  const ops: DrmSchedBackendOps = {
    runJob: (job) => {
      r.ran.push(job);
      const custom = r.runResult?.(job);
      if (custom !== undefined) return custom;
      const f = registry.create({ context: hwCtx, seqno: ++seq });
      r.hw.set(job, f);
      return f;
    },
    timedoutJob: (job, now) => (typeof r.timedout === "function" ? r.timedout(job, now) : r.timedout),
    freeJob: (job) => void r.freed.push(job.id),
    ...(opts.cancel ? { cancelJob: (job: DrmSchedJob, now: number) => void signal(r.hw.get(job), now, -ERRNO.ECANCELED) } : {}),
  };
  const sched = createScheduler({ name: "ring", ops, registry, ...opts });
  if (typeof sched === "number") throw new Error(`createScheduler: ${sched}`);
  return Object.assign(r, { sched }) as Ring;
}

/** An entity on the ring's scheduler. */
export function entity(r: Ring, priority: number = DRM_SCHED_PRIORITY.NORMAL, name = `e${priority}`, guilty?: { value: number }): DrmSchedEntity {
  const e = entityInit(r.registry, { name, priority, schedList: [r.sched], guilty });
  if (typeof e === "number") throw new Error(`entityInit: ${e}`);
  return e;
}

let ids = 0;

/** init + optional deps + arm + push at `now`. */
export function submit(e: DrmSchedEntity, now = 0, opts: { credits?: number; deps?: DmaFence[] } = {}): DrmSchedJob {
  const job = jobInit({ id: `j${ids++}`, entity: e, credits: opts.credits ?? 1 });
  if (typeof job === "number") throw new Error(`jobInit: ${job}`);
  for (const d of opts.deps ?? []) jobAddDependency(job, d);
  jobArm(job);
  entityPushJob(job, now);
  return job;
}
