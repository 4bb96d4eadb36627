/**
 * DRM_IOCTL_PANTHOR_GROUP_SUBMIT (`panthor_ioctl_group_submit`, `panthor_job_create`, the submit
 * context of panthor_drv.c; panthor.md §1.9, §4.2), all or nothing:
 *
 * 1. pad ≠ 0 → -EINVAL; the `queue_submits` array copied (-EINVAL / -E2BIG / -EFAULT);
 * 2. per job (`panthor_job_create`): pad ≠ 0; `stream_addr` and `stream_size` both zero or both
 *    not; address 64-byte and size 8-byte aligned; `latest_flush` bits 30:24 clear; the group
 *    known, able to run (not timed out, faulted, destroyed) and `queue_index` in range — else
 *    -EINVAL; its sync ops copied and checked (`panthor_check_sync_op`);
 * 3. every signal syncobj must exist (-EINVAL); every wait resolves to a fence — -ENOENT for an
 *    unknown handle, -EINVAL for a point not submitted, unless an earlier job of the same call
 *    signals it (`panthor_submit_ctx_search_sync_signal`), then that job's done fence;
 * 4. only then each job goes to its queue's backend (waits as dependencies, credits = the ring
 *    words of its wrapper) and its done fence is attached to its signal syncobjs (replaced, or a
 *    timeline point added).
 *
 * A job with no stream is a synchronisation point: nothing goes to the ring, its fence signals
 * once the queue's previous job has finished.
 */
import { z } from "zod";
import type { DmaFence } from "../../fence/index.ts";
import { reserveJobDone } from "../fence/jobDone.ts";
import { emit, type KTask } from "../ktask.ts";
import { fail, failed, ok, type IoctlCtx, type IoctlResult } from "../uapi/ioctlContext.ts";
import type { DrmSyncobj } from "../uapi/syncobj.ts";
import { collectInFences } from "../uapi/inFences.ts";
import { isSignalOp, isTimeline, SYNC_OP_SIZE, SyncOpSchema, syncOpValid, type SyncOp } from "../uapi/syncOps.ts";
import { copyObjArray, num, ObjArraySchema, parseArgs, U32, U64 } from "../uapi/userArgs.ts";
import { groupCanRun } from "./groupLifecycle.ts";
import type { JobPayload } from "./jobFlow.ts";
import { jobWrapperWords } from "./jobWrapper.ts";
import { JobSubmitted, schedPaths } from "./schedEvents.ts";
import type { PanthorGroup, PanthorQueue } from "./schedTypes.ts";

const QueueSubmitSchema = z.object({ queue_index: U32, stream_size: U32, stream_addr: U64, latest_flush: U32, pad: U32, syncs: ObjArraySchema });
/** `struct drm_panthor_queue_submit`: 40 bytes, mandatory up to `syncs`. */
const QUEUE_SUBMIT_SIZE = { size: 40, minSize: 40 };
const GroupSubmitArgs = z.object({ group_handle: U32, pad: U32, queue_submits: ObjArraySchema });
type QueueSubmit = z.infer<typeof QueueSubmitSchema>;

/** One job that passed `panthor_job_create`. */
interface Staged {
  readonly q: PanthorQueue;
  readonly streamAddr: number;
  readonly streamSize: number;
  readonly latestFlush: number;
  readonly syncs: readonly SyncOp[];
}

/** `panthor_job_create`'s checks; the staged job or undefined (-EINVAL). */
function checkJob(g: PanthorGroup | undefined, s: QueueSubmit): Omit<Staged, "syncs"> | undefined {
  if (s.pad !== 0) return undefined;
  const addr = num(s.stream_addr);
  if ((s.stream_size === 0) !== (addr === 0)) return undefined;
  if (addr % 64 !== 0 || s.stream_size % 8 !== 0 || !Number.isFinite(addr)) return undefined;
  if ((s.latest_flush & 0x7f00_0000) !== 0) return undefined;
  if (g === undefined || !groupCanRun(g)) return undefined;
  const q = g.queues[s.queue_index];
  if (q === undefined) return undefined;
  return { q, streamAddr: addr, streamSize: s.stream_size, latestFlush: s.latest_flush };
}

/** DRM_IOCTL_PANTHOR_GROUP_SUBMIT (see the module comment). */
export function* groupSubmit(c: IoctlCtx, raw: unknown): KTask<IoctlResult> {
  const { d, file } = c;
  const sched = d.sched!;
  const a = parseArgs(GroupSubmitArgs, raw);
  if (!a.ok) return failed(a);
  if (a.value.pad !== 0) return fail("EINVAL");
  const subs = copyObjArray(a.value.queue_submits, QUEUE_SUBMIT_SIZE, QueueSubmitSchema);
  if (!subs.ok) return failed(subs);
  const g = file.groups.get(a.value.group_handle);
  const staged: Staged[] = [];
  for (const s of subs.value) {
    const job = checkJob(g, s);
    if (job === undefined) return fail("EINVAL");
    const syncs = copyObjArray(s.syncs, SYNC_OP_SIZE, SyncOpSchema);
    if (!syncs.ok) return failed(syncs);
    if (!syncs.value.every(syncOpValid)) return fail("EINVAL");
    staged.push({ ...job, syncs: syncs.value });
  }
  if (staged.length === 0) return ok();
  // Signal syncobjs first, then the waits (an earlier job of this call may provide the point).
  const signals = new Map<number, DrmSyncobj>();
  for (const s of staged.flatMap((j) => j.syncs.filter(isSignalOp))) {
    const obj = d.syncobjs.lookup(file.id, s.handle);
    if (obj === undefined) return fail("EINVAL");
    signals.set(s.handle, obj);
  }
  const collected = collectInFences(d.syncobjs, file.id, c.now(), staged, (i) => i);
  if (!collected.ok) return fail(collected.errno);
  const waits = collected.waits;
  const done: DmaFence[] = [];
  const csif = d.fw!.ifaces!.csifInfo;
  for (const [i, job] of staged.entries()) {
    const { q } = job;
    const credits = jobWrapperWords(csif, { streamAddr: job.streamAddr, streamSize: job.streamSize, latestFlush: job.latestFlush, syncAddr: 0 });
    if (credits > 0) q.ringSeqno++;
    const payload: JobPayload = { streamAddr: job.streamAddr, streamSize: job.streamSize, latestFlush: job.latestFlush, ringSeqno: q.ringSeqno };
    const deps = waits[i]!.map((w) => (typeof w === "number" ? done[w]! : w));
    const id = `${q.qid}.j${q.nextJob++}`;
    const r = sched.backend.submit(q.qid, { id, credits, deps, payload }, c.now());
    if (r.fence === undefined) throw new Error(`backend refused job ${id} on a runnable group: ${r.errno}`);
    done.push(r.fence);
    reserveJobDone(d, r.fence);
    q.submitted.set(r.seqno!, { id, seqno: r.seqno!, fence: r.fence });
    for (const s of job.syncs.filter(isSignalOp)) {
      const obj = signals.get(s.handle)!;
      if (isTimeline(s)) d.syncobjs.addPoint(obj, r.fence, s.timeline_value);
      else d.syncobjs.replaceFence(obj, r.fence);
    }
    yield* emit(JobSubmitted, schedPaths(d.dev.gpu).job, {
      file: file.id, group: g!.handle, queue: q.index, job: id, seqno: r.seqno!, fence: r.fence.id, deps: deps.map((f) => f.id), credits,
      streamAddr: job.streamAddr, streamSize: job.streamSize,
    });
  }
  return ok();
}
