/**
 * The job path from the queue backend to the ring and back (panthor.md §4.2):
 *
 * - `queue_run_job()` ({@link queueRunJob}): the kernel's job wrapper (flush, CALL the user
 *   stream, SYNC_ADD64 +1 on the queue's sync object, ERROR_BARRIER) copied into the ring BO at
 *   CS_INSERT (wrapping), CS_INSERT advanced in the queue's user input page — all CPU stores,
 *   `MemoryWritten`; then the queue's doorbell (CSF_DOORBELL(csg + 1)) if the group is on a CSG
 *   slot, else a kick of the scheduler. A job without a stream writes nothing: its fence is the
 *   previous job's completion.
 * - `group_sync_upd_work()` ({@link groupSyncUpdate}): read each queue's sync-object seqno from
 *   memory and report every job up to it as finished to the backend, which signals the done
 *   fences in order.
 * - the job worker ({@link jobWorker}): a kernel task that carries out the backend's effects as
 *   they come (from submits, completions, fence callbacks of dependencies), fires the queue
 *   timeouts, and publishes `JobRingWritten` / `JobFenceSignalled`.
 */
import { csfDoorbell } from "../../../shared/gpu/registers.ts";
import { SYNCOBJ_64B_SIZE } from "../../firmware/index.ts";
import { RINGBUF_INPUT, RINGBUF_OUTPUT } from "../../firmware/interfaces.ts";
import type { JobQueueEffect } from "../../jobqueue/index.ts";
import { jobDoneBegin } from "../fence/jobDone.ts";
import { runJobSection } from "../fence/pathHooks.ts";
import { emit, waitEvent, writel, type KTask } from "../ktask.ts";
import type { KernelCtx } from "../uapi/ioctlContext.ts";
import { kernelBoRead, kernelBoWrite } from "../uapi/kernelBo.ts";
import { noteActivity } from "./activity.ts";
import { jobWrapperBytes } from "./jobWrapper.ts";
import { JobFenceSignalled, JobRingWritten, schedPaths } from "./schedEvents.ts";
import { groupSchedule, requestTick } from "./schedKick.ts";
import type { PanthorGroup, PanthorQueue, RingJob, Scheduler } from "./schedTypes.ts";

/** What GROUP_SUBMIT hands the backend for each job, carried to {@link queueRunJob}. */
export interface JobPayload {
  readonly streamAddr: number;
  readonly streamSize: number;
  readonly latestFlush: number;
  /** The sync-object value that means this job finished. */
  readonly ringSeqno: number;
}

/** The little-endian u32 at `at`. */
function le32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/** The sync object of a queue: `{ u64 seqno; u32 status; u32 pad }` in the group's syncobj BO. */
export function readSyncobj(kc: KernelCtx, g: PanthorGroup, q: PanthorQueue): { seqno: number; status: number } {
  const b = kernelBoRead(kc.d, g.syncobjs, q.index * SYNCOBJ_64B_SIZE, SYNCOBJ_64B_SIZE);
  return { seqno: le32(b, 4) * 2 ** 32 + le32(b, 0), status: le32(b, 8) };
}

/** Whether the group's queues' doorbell reaches a running CSG slot. */
export function resident(g: PanthorGroup): boolean {
  return g.csgId !== undefined && g.state === "active";
}

/** `queue_run_job()` for the job the backend pushed (see the module comment). */
export function* queueRunJob(kc: KernelCtx, g: PanthorGroup, q: PanthorQueue, e: Extract<JobQueueEffect, { type: "pushToRing" }>): KTask<void> {
  const p = e.payload as JobPayload;
  const bytes = jobWrapperBytes(kc.d.fw!.ifaces!.csifInfo, {
    streamAddr: p.streamAddr, streamSize: p.streamSize, latestFlush: p.latestFlush, syncAddr: g.syncobjs.va + q.index * SYNCOBJ_64B_SIZE,
  });
  const start = q.insert;
  if (bytes.length > 0) {
    const at = start % q.ringSize;
    const first = Math.min(bytes.length, q.ringSize - at);
    yield* kernelBoWrite(kc.d, q.ring, at, bytes.subarray(0, first));
    if (first < bytes.length) yield* kernelBoWrite(kc.d, q.ring, 0, bytes.subarray(first));
    q.insert += bytes.length;
    const extract = q.iface.field(q.iface.bo.va + 4096, RINGBUF_OUTPUT, "extract");
    yield* q.iface.write(q.iface.bo.va, RINGBUF_INPUT, { insert: q.insert, extract });
  }
  q.onRing.push({ id: e.job, seqno: e.seqno, ringSeqno: p.ringSeqno, start, end: q.insert, error: 0 });
  yield* emit(JobRingWritten, schedPaths(kc.d.dev.gpu).job, {
    file: g.file, group: g.handle, queue: q.index, job: e.job, seqno: e.seqno, ringStart: start, insert: q.insert, ringSeqno: p.ringSeqno, resident: resident(g),
  });
  // A job with nothing on the ring is done once the job before it is.
  if (bytes.length === 0) completeUpTo(kc, q, readSyncobj(kc, g, q).seqno);
}

/** Report every job of `q` whose sync-object value is reached as finished (in ring order). */
function completeUpTo(kc: KernelCtx, q: PanthorQueue, seqno: number): void {
  const sched = kc.d.sched!;
  while (q.onRing[0] !== undefined && q.onRing[0].ringSeqno <= seqno) {
    const job = q.onRing.shift()!;
    sched.backend.complete(q.qid, job.seqno, kc.now(), job.error);
  }
}

/**
 * `group_sync_upd_work()`: every queue's sync object read, finished jobs reported — inside a
 * fence-signalling section whose allocations follow the fence policy (`fence/jobDone.ts`; the work
 * may sleep in reclaim and run again, or deadlock).
 */
export function groupSyncUpdate(kc: KernelCtx, g: PanthorGroup): void {
  const seqnos: number[] = [];
  const done: { q: PanthorQueue; job: RingJob }[] = [];
  for (const q of g.queues) {
    const seqno = readSyncobj(kc, g, q).seqno;
    seqnos.push(seqno);
    for (const job of q.onRing) if (job.ringSeqno <= seqno) done.push({ q, job });
  }
  if (done.length === 0) return;
  const end = jobDoneBegin(kc, g, done, () => groupSyncUpdate(kc, g));
  if (end === undefined) return;
  g.queues.forEach((q, i) => completeUpTo(kc, q, seqnos[i]!));
  end();
}

/** Carry out one backend effect. */
function* applyEffect(kc: KernelCtx, sched: Scheduler, e: JobQueueEffect): KTask<void> {
  const at = sched.byQueue.get(e.queue);
  if (at === undefined) return;
  const { group: g, queue: q } = at;
  // A released group only reports its last fences.
  if (g.released && e.type !== "jobFenceSignalled") return;
  switch (e.type) {
    case "pushToRing":
      yield* queueRunJob(kc, g, q, e);
      break;
    case "ringDoorbell":
      if (resident(g)) yield* writel(csfDoorbell(g.csgId! + 1), 1);
      else groupSchedule(kc, g);
      break;
    case "kickScheduler":
      groupSchedule(kc, g);
      break;
    case "jobFenceSignalled": {
      const job = q.submitted.get(e.seqno);
      q.submitted.delete(e.seqno);
      yield* emit(JobFenceSignalled, schedPaths(kc.d.dev.gpu).job, {
        file: g.file, group: g.handle, queue: q.index, job: e.job, seqno: e.seqno, fence: job?.fence.id ?? e.fence, error: e.error,
      });
      break;
    }
    case "queueTimedOut":
      g.timedout = true;
      requestTick(kc);
      break;
    case "queueKilled":
      break;
  }
}

/** The job worker (see the module comment); runs for the device's lifetime. */
export function* jobWorker(kc: KernelCtx): KTask<void> {
  const sched = kc.d.sched!;
  for (;;) {
    const deadline = sched.backend.nextDeadlineNs();
    const timeout = deadline === undefined ? Number.POSITIVE_INFINITY : Math.max(0, deadline - kc.now());
    const effects = yield* waitEvent(() => {
      const got = sched.backend.takeEffects();
      return got.length > 0 ? got : sched.backend.nextDeadlineNs() !== deadline ? [] : undefined;
    }, timeout);
    if (effects === undefined) {
      sched.backend.advanceTo(kc.now());
      continue;
    }
    const end = runJobSection(kc.d);
    for (const e of effects) yield* applyEffect(kc, sched, e);
    end();
    yield* noteActivity(kc);
  }
}
