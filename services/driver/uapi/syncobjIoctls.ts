/**
 * The core DRM syncobj ioctls (`drm_syncobj.c`) other than the waits: CREATE, DESTROY,
 * HANDLE_TO_FD, FD_TO_HANDLE, RESET, SIGNAL, TIMELINE_SIGNAL, QUERY and TRANSFER, with the
 * kernel's argument checks in its order. Panthor sets DRIVER_SYNCOBJ and DRIVER_SYNCOBJ_TIMELINE,
 * so none of them answers -EOPNOTSUPP.
 */
import { z } from "zod";
import { addCallback, fenceCallback, signal, toChain, type DmaFence } from "../../fence/index.ts";
import { waitEvent, type KTask } from "../ktask.ts";
import { fail, failed, ok, type IoctlCtx, type IoctlResult } from "./ioctlContext.ts";
import type { DrmSyncobj } from "./syncobj.ts";
import { findSyncobjs, DRM_SYNCOBJ_WAIT_FLAGS } from "./syncobjWait.ts";
import { copyArray, parseArgs, U32, U64, u64Out, UserArrayPtr } from "./userArgs.ts";

/** `DRM_SYNCOBJ_CREATE_SIGNALED`. */
export const DRM_SYNCOBJ_CREATE_SIGNALED = 1 << 0;
/** `DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_*` (same bits for FD_TO_HANDLE's IMPORT_SYNC_FILE / TIMELINE). */
export const DRM_SYNCOBJ_FD_FLAGS = { SYNC_FILE: 1 << 0, TIMELINE: 1 << 1 } as const;
/** `DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED`. */
export const DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED = 1 << 0;
/** `DRM_SYNCOBJ_WAIT_FOR_SUBMIT_TIMEOUT`: how long a transfer waits for its fence to appear (5 s). */
export const WAIT_FOR_SUBMIT_TIMEOUT_NS = 5_000_000_000;

const CreateArgs = z.object({ handle: U32, flags: U32 });
const DestroyArgs = z.object({ handle: U32, pad: U32 });
const HandleArgs = z.object({ handle: U32, flags: U32, fd: z.number().int().min(-(2 ** 31)).max(2 ** 31 - 1).default(0), pad: U32, point: U64 });
const ArrayArgs = z.object({ handles: UserArrayPtr, count_handles: U32, pad: U32 });
const TimelineArrayArgs = z.object({ handles: UserArrayPtr, points: UserArrayPtr, count_handles: U32, flags: U32 });
const TransferArgs = z.object({ src_handle: U32, dst_handle: U32, src_point: U64, dst_point: U64, flags: U32, pad: U32 });

/** DRM_IOCTL_SYNCOBJ_CREATE: unknown flags → -EINVAL. Out: `handle`. */
export function syncobjCreate(c: IoctlCtx, raw: unknown): IoctlResult {
  const a = parseArgs(CreateArgs, raw);
  if (!a.ok) return failed(a);
  if ((a.value.flags & ~DRM_SYNCOBJ_CREATE_SIGNALED) !== 0) return fail("EINVAL");
  return ok({ handle: c.d.syncobjs.create(c.file.id, (a.value.flags & DRM_SYNCOBJ_CREATE_SIGNALED) !== 0, c.now()) });
}

/** DRM_IOCTL_SYNCOBJ_DESTROY: pad or unknown handle → -EINVAL. */
export function syncobjDestroy(c: IoctlCtx, raw: unknown): IoctlResult {
  const a = parseArgs(DestroyArgs, raw);
  if (!a.ok) return failed(a);
  if (a.value.pad !== 0) return fail("EINVAL");
  return c.d.syncobjs.destroy(c.file.id, a.value.handle) ? ok() : fail("EINVAL");
}

/**
 * DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD: an fd for the syncobj (unknown handle -EINVAL), or with
 * EXPORT_SYNC_FILE a sync_file of its fence at `point` (TIMELINE flag; unknown handle -ENOENT,
 * no fence -EINVAL). Out: `fd`.
 */
export function syncobjHandleToFd(c: IoctlCtx, raw: unknown): IoctlResult {
  const a = parseArgs(HandleArgs, raw);
  if (!a.ok) return failed(a);
  const { handle, flags, pad } = a.value;
  if (pad !== 0 || (flags & ~(DRM_SYNCOBJ_FD_FLAGS.SYNC_FILE | DRM_SYNCOBJ_FD_FLAGS.TIMELINE)) !== 0) return fail("EINVAL");
  const point = (flags & DRM_SYNCOBJ_FD_FLAGS.TIMELINE) !== 0 ? a.value.point : 0n;
  const obj = c.d.syncobjs.lookup(c.file.id, handle);
  if ((flags & DRM_SYNCOBJ_FD_FLAGS.SYNC_FILE) !== 0) {
    if (obj === undefined) return fail("ENOENT");
    const fence = c.d.syncobjs.fenceAt(obj, point, c.now());
    return fence === undefined ? fail("EINVAL") : ok({ fd: c.d.syncobjs.exportSyncFile(fence) });
  }
  if (a.value.point !== 0n || obj === undefined) return fail("EINVAL");
  return ok({ fd: c.d.syncobjs.exportSyncobj(obj) });
}

/**
 * DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE: a new handle for an exported syncobj, or with IMPORT_SYNC_FILE
 * the sync_file's fence put into `handle` (at `point` with TIMELINE). An fd that is neither →
 * -EINVAL; import into an unknown handle → -ENOENT. Out: `handle`.
 */
export function syncobjFdToHandle(c: IoctlCtx, raw: unknown): IoctlResult {
  const a = parseArgs(HandleArgs, raw);
  if (!a.ok) return failed(a);
  const { handle, flags, pad, fd } = a.value;
  if (pad !== 0 || (flags & ~(DRM_SYNCOBJ_FD_FLAGS.SYNC_FILE | DRM_SYNCOBJ_FD_FLAGS.TIMELINE)) !== 0) return fail("EINVAL");
  const point = (flags & DRM_SYNCOBJ_FD_FLAGS.TIMELINE) !== 0 ? a.value.point : 0n;
  const target = c.d.syncobjs.fd(fd);
  if ((flags & DRM_SYNCOBJ_FD_FLAGS.SYNC_FILE) !== 0) {
    if (target?.kind !== "sync_file") return fail("EINVAL");
    const obj = c.d.syncobjs.lookup(c.file.id, handle);
    if (obj === undefined) return fail("ENOENT");
    if (point !== 0n) c.d.syncobjs.addPoint(obj, target.fence, point);
    else c.d.syncobjs.replaceFence(obj, target.fence);
    return ok({ handle });
  }
  if (a.value.point !== 0n || target?.kind !== "syncobj") return fail("EINVAL");
  return ok({ handle: c.d.syncobjs.importSyncobj(c.file.id, target.syncobj) });
}

/** The handles of a `drm_syncobj_array`: pad or no handles → -EINVAL, then the lookups. */
function arrayObjs(c: IoctlCtx, raw: unknown): { ok: true; objs: DrmSyncobj[] } | { ok: false; res: IoctlResult } {
  const a = parseArgs(ArrayArgs, raw);
  if (!a.ok) return { ok: false, res: failed(a) };
  if (a.value.pad !== 0 || a.value.count_handles === 0) return { ok: false, res: fail("EINVAL") };
  return findSyncobjs(c, a.value.handles, a.value.count_handles);
}

/** DRM_IOCTL_SYNCOBJ_RESET: every fence removed. */
export function syncobjReset(c: IoctlCtx, raw: unknown): IoctlResult {
  const found = arrayObjs(c, raw);
  if (!found.ok) return found.res;
  for (const o of found.objs) c.d.syncobjs.replaceFence(o, undefined);
  return ok();
}

/** DRM_IOCTL_SYNCOBJ_SIGNAL: each gets a new, already signalled fence (`drm_syncobj_assign_null_handle`). */
export function syncobjSignal(c: IoctlCtx, raw: unknown): IoctlResult {
  const found = arrayObjs(c, raw);
  if (!found.ok) return found.res;
  for (const o of found.objs) c.d.syncobjs.replaceFence(o, c.d.syncobjs.stub(c.now()));
  return ok();
}

/** The timeline array's handles and points (NULL points: all 0); flags must be `allowed`. */
function timelineArray(c: IoctlCtx, raw: unknown, allowed: number) {
  const a = parseArgs(TimelineArrayArgs, raw);
  if (!a.ok) return { ok: false as const, res: failed(a) };
  const { flags, count_handles: count } = a.value;
  if ((flags & ~allowed) !== 0 || count === 0) return { ok: false as const, res: fail("EINVAL") };
  const found = findSyncobjs(c, a.value.handles, count);
  if (!found.ok) return found;
  return { ok: true as const, objs: found.objs, flags, points: a.value.points, count };
}

/** DRM_IOCTL_SYNCOBJ_TIMELINE_SIGNAL: flags must be 0; a signalled point added to each timeline. */
export function syncobjTimelineSignal(c: IoctlCtx, raw: unknown): IoctlResult {
  const t = timelineArray(c, raw, 0);
  if (!t.ok) return t.res;
  const points = t.points === 0 ? { ok: true as const, value: t.objs.map(() => 0n) } : copyArray(t.points, t.count, U64);
  if (!points.ok) return failed(points);
  t.objs.forEach((o, i) => c.d.syncobjs.addPoint(o, c.d.syncobjs.stub(c.now()), points.value[i]!));
  return ok();
}

/** DRM_IOCTL_SYNCOBJ_QUERY: each timeline's last signalled (or, LAST_SUBMITTED, last) point; 0 for binary. Out: `points`. */
export function syncobjQuery(c: IoctlCtx, raw: unknown): IoctlResult {
  const t = timelineArray(c, raw, DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED);
  if (!t.ok) return t.res;
  if (!Array.isArray(t.points) || t.points.length < t.count) return fail("EFAULT");
  const last = (t.flags & DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED) !== 0;
  return ok({ points: t.objs.map((o) => u64Out(c.d.syncobjs.query(o, last))) });
}

/** A fence for a chain node that a new chain may wrap (`dma_fence_unwrap_merge` of a chain). */
function unwrapped(c: IoctlCtx, f: DmaFence): DmaFence {
  if (toChain(f) === undefined) return f;
  const proxy = c.d.fences.create({ context: c.d.fences.contextAlloc(1), seqno: 0, driverName: "dma_fence_array", timelineName: "unbound" });
  if (addCallback(f, fenceCallback((done) => void signal(proxy, done.timestampNs ?? c.now(), done.error || undefined)), c.now()) !== 0) signal(proxy, c.now(), f.error || undefined);
  return proxy;
}

/**
 * DRM_IOCTL_SYNCOBJ_TRANSFER: pad → -EINVAL; unknown destination → -ENOENT; then
 * `drm_syncobj_find_fence(src, src_point, flags)` — flags other than WAIT_FOR_SUBMIT -EINVAL,
 * unknown source -ENOENT, no fence -EINVAL (or, with WAIT_FOR_SUBMIT, -ETIME after 5 s); the
 * fence goes to `dst_point` (0: replaces the binary fence).
 */
export function* syncobjTransfer(c: IoctlCtx, raw: unknown): KTask<IoctlResult> {
  const a = parseArgs(TransferArgs, raw);
  if (!a.ok) return failed(a);
  const { src_handle, dst_handle, src_point, dst_point, flags, pad } = a.value;
  if (pad !== 0) return fail("EINVAL");
  const store = c.d.syncobjs;
  const dst = store.lookup(c.file.id, dst_handle);
  if (dst === undefined) return fail("ENOENT");
  if ((flags & ~DRM_SYNCOBJ_WAIT_FLAGS.WAIT_FOR_SUBMIT) !== 0) return fail("EINVAL");
  const src = store.lookup(c.file.id, src_handle);
  if (src === undefined) return fail("ENOENT");
  let fence = store.fenceAt(src, src_point, c.now());
  if (fence === undefined && (flags & DRM_SYNCOBJ_WAIT_FLAGS.WAIT_FOR_SUBMIT) !== 0) {
    fence = yield* waitEvent(() => store.fenceAt(src, src_point, c.now()), WAIT_FOR_SUBMIT_TIMEOUT_NS);
    if (fence === undefined) return fail("ETIME");
  }
  if (fence === undefined) return fail("EINVAL");
  if (dst_point !== 0n) store.addPoint(dst, unwrapped(c, fence), dst_point);
  else store.replaceFence(dst, fence);
  return ok();
}
