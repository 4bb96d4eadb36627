/**
 * DRM_IOCTL_SYNCOBJ_WAIT and DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT (`drm_syncobj_array_wait_timeout`
 * in drm_syncobj.c) on virtual time.
 *
 * Every handle's fence for its point is looked up first; without WAIT_FOR_SUBMIT or
 * WAIT_AVAILABLE a missing one (no fence, or a timeline point not submitted) is -EINVAL. The wait
 * is satisfied when all (WAIT_ALL) or any of the fences has signalled — or merely exists, with
 * WAIT_AVAILABLE; fences that appear later are picked up while waiting (WAIT_FOR_SUBMIT). The
 * caller's `timeout_nsec` is an absolute time on the virtual clock (CLOCK_MONOTONIC in the
 * kernel); 0 or a time already past polls once, and an unsatisfied wait returns -ETIME at the
 * deadline. `first_signaled` is the index of the first signalled handle (~0 if none was when a
 * WAIT_ALL began, as the kernel reports).
 */
import { z } from "zod";
import { isSignaled, setDeadline, type DmaFence } from "../../fence/index.ts";
import { waitEvent, type KTask } from "../ktask.ts";
import { fail, failed, ok, type IoctlCtx, type IoctlResult } from "./ioctlContext.ts";
import type { DrmSyncobj } from "./syncobj.ts";
import { copyArray, parseArgs, S64, U32, U32Value, U64, UserArrayPtr } from "./userArgs.ts";

/** `DRM_SYNCOBJ_WAIT_FLAGS_*`. */
export const DRM_SYNCOBJ_WAIT_FLAGS = { WAIT_ALL: 1 << 0, WAIT_FOR_SUBMIT: 1 << 1, WAIT_AVAILABLE: 1 << 2, WAIT_DEADLINE: 1 << 3 } as const;

const F = DRM_SYNCOBJ_WAIT_FLAGS;
const NONE_SIGNALLED = 0xffff_ffff;

const WaitArgs = z.object({
  handles: UserArrayPtr, timeout_nsec: S64, count_handles: U32, flags: U32, first_signaled: U32, pad: U32, deadline_nsec: U64,
});
const TimelineWaitArgs = WaitArgs.extend({ points: UserArrayPtr });

/** Look every handle up: -EFAULT for an unreadable array, -ENOENT for a handle the file lacks. */
export function findSyncobjs(c: IoctlCtx, ptr: unknown, count: number): { ok: true; objs: DrmSyncobj[] } | { ok: false; res: IoctlResult } {
  const handles = copyArray(ptr, count, U32Value);
  if (!handles.ok) return { ok: false, res: failed(handles) };
  const objs: DrmSyncobj[] = [];
  for (const h of handles.value) {
    const o = c.d.syncobjs.lookup(c.file.id, h);
    if (o === undefined) return { ok: false, res: fail("ENOENT") };
    objs.push(o);
  }
  return { ok: true, objs };
}

function* arrayWait(c: IoctlCtx, objs: readonly DrmSyncobj[], points: readonly bigint[], flags: number, timeout: bigint, deadline: bigint): KTask<IoctlResult> {
  const store = c.d.syncobjs;
  const lateOk = (flags & (F.WAIT_FOR_SUBMIT | F.WAIT_AVAILABLE)) !== 0;
  const fences: (DmaFence | undefined)[] = objs.map((o, i) => store.fenceAt(o, points[i]!, c.now()));
  if (!lateOk && fences.some((f) => f === undefined)) return fail("EINVAL");
  // A fence once signalled stays signalled, and asking a signalled fence again does nothing; so
  // `check` (re-run after every event the driver handles while the wait sleeps) remembers which
  // fences were done and asks only the others, in the same order as before.
  const signalled = fences.map(() => false);
  const done = (i: number, now: number): boolean => {
    if (signalled[i] === true) return true;
    const f = fences[i];
    return (signalled[i] = f !== undefined && ((flags & F.WAIT_AVAILABLE) !== 0 || isSignaled(f, now)));
  };
  const firstDone = (now: number): number => {
    for (let i = 0; i < fences.length; i++) if (done(i, now)) return i;
    return -1;
  };
  const first = firstDone(c.now());
  const check = (): number | undefined => {
    const now = c.now();
    if (lateOk) for (let i = 0; i < fences.length; i++) fences[i] ??= store.fenceAt(objs[i]!, points[i]!, now);
    if ((flags & F.WAIT_ALL) === 0) {
      const i = firstDone(now);
      return i < 0 ? undefined : i;
    }
    for (let i = 0; i < fences.length; i++) if (!done(i, now)) return undefined;
    return first < 0 ? NONE_SIGNALLED : first;
  };
  const now = c.now();
  const initial = check();
  if (initial !== undefined) return ok({ first_signaled: initial });
  if ((flags & F.WAIT_DEADLINE) !== 0) for (const f of fences) if (f !== undefined) setDeadline(f, Number(deadline));
  if (timeout <= BigInt(now)) return fail("ETIME");
  const left = Number(timeout - BigInt(now));
  const got = yield* waitEvent(check, left > Number.MAX_SAFE_INTEGER ? Number.POSITIVE_INFINITY : left);
  return got === undefined ? fail("ETIME") : ok({ first_signaled: got });
}

function possible(timeline: boolean): number {
  return F.WAIT_ALL | F.WAIT_FOR_SUBMIT | F.WAIT_DEADLINE | (timeline ? F.WAIT_AVAILABLE : 0);
}

/** DRM_IOCTL_SYNCOBJ_WAIT: unknown flags → -EINVAL; no handles → 0. Out: `first_signaled`. */
export function* syncobjWait(c: IoctlCtx, raw: unknown): KTask<IoctlResult> {
  const a = parseArgs(WaitArgs, raw);
  if (!a.ok) return failed(a);
  const { flags, count_handles: count } = a.value;
  if ((flags & ~possible(false)) !== 0) return fail("EINVAL");
  if (count === 0) return ok();
  const found = findSyncobjs(c, a.value.handles, count);
  if (!found.ok) return found.res;
  return yield* arrayWait(c, found.objs, found.objs.map(() => 0n), flags, a.value.timeout_nsec, a.value.deadline_nsec);
}

/** DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT: as WAIT, per-handle points (NULL: all 0), WAIT_AVAILABLE allowed. */
export function* syncobjTimelineWait(c: IoctlCtx, raw: unknown): KTask<IoctlResult> {
  const a = parseArgs(TimelineWaitArgs, raw);
  if (!a.ok) return failed(a);
  const { flags, count_handles: count } = a.value;
  if ((flags & ~possible(true)) !== 0) return fail("EINVAL");
  if (count === 0) return ok();
  const found = findSyncobjs(c, a.value.handles, count);
  if (!found.ok) return found.res;
  const points = a.value.points === 0 ? { ok: true as const, value: found.objs.map(() => 0n) } : copyArray(a.value.points, count, U64);
  if (!points.ok) return failed(points);
  return yield* arrayWait(c, found.objs, points.value, flags, a.value.timeout_nsec, a.value.deadline_nsec);
}
