/**
 * The drm_sched queue backend (panthor.md §4.2, the scheduler panthor has and Tyr moves away
 * from): per queue a `drm_gpu_scheduler` (`credit_limit` = ring size / 8, `hang_limit` 0, one run
 * queue, the 5 s TDR) and one entity; GROUP_SUBMIT `drm_sched_job_init` + `add_dependency` +
 * `arm` + `push`; the scheduler's `run_job` is panthor's `queue_run_job` — here a `pushToRing`
 * effect plus a hardware fence the sync-object update signals; `timedout_job` reports the queue
 * timed out (panthor marks the group and lets the tick kill it). The job's done fence is the
 * finished fence of its scheduler fence pair.
 *
 * Simplified: the TDR counts wall time from the first pending job (the pre-2025 behaviour), not
 * resident time; a killed queue's jobs that never ran fail at `run_job` with the loss errno.
 */
import { ERRNO } from "../../../shared/gpu/errno.ts";
import { addCallback, fenceCallback, signal, type DmaFence, type FenceRegistry } from "../../fence/index.ts";
import {
  createScheduler, entityInit, entityPushJob, jobAddDependency, jobArm, jobCleanup, jobInit, lostJobErrno,
  type DrmGpuScheduler, type DrmSchedEntity, type DrmSchedJob, type JobQueueEffect, type LossReason,
} from "../../jobqueue/index.ts";
import type { QueueBackend } from "./queueBackend.ts";

interface SchedQueue {
  readonly qid: string;
  readonly sched: DrmGpuScheduler;
  readonly entity: DrmSchedEntity;
  readonly hwContext: number;
  resident: boolean;
  killed: LossReason | undefined;
  /** Hardware fences of jobs handed to the ring, by done-fence seqno. */
  readonly hw: Map<number, DmaFence>;
}

/** The drm_sched backend over the device's fence registry. */
export function drmSchedBackend(registry: FenceRegistry): QueueBackend {
  const queues = new Map<string, SchedQueue>();
  const out: JobQueueEffect[] = [];
  const jobQueue = new Map<DrmSchedJob, SchedQueue>();

  const runJob = (job: DrmSchedJob, nowNs: number): DmaFence | { errPtr: number } => {
    const q = jobQueue.get(job)!;
    const finished = job.sFence!.finished;
    const seqno = Number(finished.seqno);
    if (q.killed !== undefined) return { errPtr: lostJobErrno(q.killed) };
    const hw = registry.create({ context: q.hwContext, seqno, driverName: "panthor", timelineName: `${q.qid}-hw` });
    q.hw.set(seqno, hw);
    const data = job.data as { credits: number; payload: unknown };
    out.push({ type: "pushToRing", queue: q.qid, job: job.id, seqno, credits: data.credits, fence: finished.id, payload: data.payload });
    out.push(q.resident ? { type: "ringDoorbell", queue: q.qid } : { type: "kickScheduler", queue: q.qid });
    void nowNs;
    return hw;
  };

  return {
    mode: "drm_sched",
    createQueue(qid, capacity, timeoutNs) {
      if (queues.has(qid)) return -ERRNO.EEXIST;
      const sched = createScheduler({
        name: qid, registry, creditLimit: capacity, hangLimit: 0, timeoutNs, numRqs: 1,
        ops: {
          runJob,
          timedoutJob: (job, nowNs) => {
            out.push({ type: "queueTimedOut", queue: qid, job: job.id, atNs: nowNs });
            return "reset";
          },
          freeJob: (job) => {
            jobQueue.delete(job);
            jobCleanup(job);
          },
        },
      });
      if (typeof sched === "number") return sched;
      const entity = entityInit(registry, { name: qid, priority: 0, schedList: [sched] });
      if (typeof entity === "number") return entity;
      queues.set(qid, { qid, sched, entity, hwContext: registry.contextAlloc(1), resident: false, killed: undefined, hw: new Map() });
      return 0;
    },
    submit(qid, job, nowNs) {
      const q = queues.get(qid);
      if (q === undefined || q.killed !== undefined) return { errno: -ERRNO.EINVAL };
      const sj = jobInit({ id: job.id, entity: q.entity, credits: Math.max(1, job.credits), data: { credits: job.credits, payload: job.payload } });
      if (typeof sj === "number") return { errno: sj };
      for (const dep of job.deps) jobAddDependency(sj, dep);
      const pair = jobArm(sj);
      const finished = pair.finished;
      const seqno = Number(finished.seqno);
      jobQueue.set(sj, q);
      addCallback(finished, fenceCallback((f) => {
        out.push({ type: "jobFenceSignalled", queue: qid, job: job.id, seqno, fence: f.id, error: f.error, atNs: f.timestampNs ?? nowNs });
      }), nowNs);
      q.sched.at(nowNs);
      entityPushJob(sj, nowNs);
      return { errno: 0, fence: finished, seqno };
    },
    complete(qid, seqno, nowNs, error = 0) {
      const q = queues.get(qid);
      const hw = q?.hw.get(seqno);
      if (q === undefined || hw === undefined) return;
      q.hw.delete(seqno);
      q.sched.at(nowNs);
      signal(hw, nowNs, error || undefined);
    },
    setResident(qid, resident) {
      const q = queues.get(qid);
      if (q !== undefined) q.resident = resident;
    },
    kill(qid, reason, nowNs) {
      const q = queues.get(qid);
      if (q === undefined || q.killed !== undefined) return;
      q.killed = reason;
      q.sched.at(nowNs);
      out.push({ type: "queueKilled", queue: qid, reason, errno: lostJobErrno(reason), atNs: nowNs });
      for (const [seqno, hw] of [...q.hw].sort(([a], [b]) => a - b)) {
        q.hw.delete(seqno);
        signal(hw, nowNs, lostJobErrno(reason));
      }
      q.sched.wakeup(nowNs);
    },
    nextDeadlineNs() {
      let t: number | undefined;
      for (const q of queues.values()) {
        const n = q.sched.nextTimerNs();
        if (n !== undefined && (t === undefined || n < t)) t = n;
      }
      return t;
    },
    advanceTo(nowNs) {
      for (const q of queues.values()) q.sched.fireTimers(nowNs);
    },
    takeEffects: () => out.splice(0),
  };
}
