/**
 * The BO ioctls (panthor.md §1.7, §7.1) over the GEM shmem decider: BO_CREATE
 * (`panthor_ioctl_bo_create`), BO_MMAP_OFFSET, BO_SET_LABEL (1.4), BO_QUERY_INFO and BO_SYNC
 * (1.7), and the core DRM_IOCTL_GEM_CLOSE (`drm_gem_close_ioctl`). Handles are per file: another
 * file's handle is simply not found (-ENOENT, or -EINVAL where the kernel says so).
 *
 * Simplified: BO_SYNC checks its ops and does nothing else — tyrsim has no CPU caches, so every
 * mapping is coherent; labels are kept for snapshots (debugfs `gems`), not printed.
 */
import { z } from "zod";
import { DRM_PANTHOR_BO, lookupHandle, mmapOffsetOf } from "../../gem/index.ts";
import type { KTask } from "../ktask.ts";
import { gemRun } from "./gemShell.ts";
import { fail, failed, ok, type IoctlCtx, type IoctlResult } from "./ioctlContext.ts";
import { BAD_POINTER, copyObjArray, num, ObjArraySchema, parseArgs, U32, U64 } from "./userArgs.ts";

/** `PANTHOR_BO_LABEL_MAXLEN`: a label and its NUL fit in 4096 bytes. */
export const PANTHOR_BO_LABEL_MAXLEN = 4096;
/** `enum drm_panthor_bo_sync_op_type`. */
export const DRM_PANTHOR_BO_SYNC_OP = { FLUSH: 0, FLUSH_AND_INVALIDATE: 1 } as const;

const BoCreateArgs = z.object({ size: U64, flags: U32, exclusive_vm_id: U32, handle: U32, pad: U32 });
const HandlePadArgs = z.object({ handle: U32, pad: U32 });
const SetLabelArgs = z.object({ handle: U32, pad: U32, label: z.union([z.null(), z.literal(0), z.string()]).default(null) });
const QueryInfoArgs = z.object({ handle: U32, extra_flags: U32, create_flags: U32, pad: U32 });
const BoSyncArgs = z.object({ ops: ObjArraySchema });
const BoSyncOp = z.object({ handle: U32, type: U32, offset: U64, size: U64 });

/** The BO flags a device of this minor version accepts (WB_MMAP is 1.7). */
function boFlags(minor: number): number {
  return DRM_PANTHOR_BO.NO_MMAP | (minor >= 7 ? DRM_PANTHOR_BO.WB_MMAP : 0);
}

/**
 * DRM_IOCTL_PANTHOR_BO_CREATE: size 0, pad, unknown flags or an `exclusive_vm_id` not in the
 * caller's pool → -EINVAL. The size is rounded up to pages; pages come (zeroed) on first use.
 * Out: `size` (rounded), `handle`.
 */
export function* boCreate(c: IoctlCtx, raw: unknown): KTask<IoctlResult> {
  const a = parseArgs(BoCreateArgs, raw);
  if (!a.ok) return failed(a);
  const { size, flags, exclusive_vm_id: exclusive, pad } = a.value;
  if (size === 0n || pad !== 0 || (flags & ~boFlags(c.d.uapiMinor)) !== 0) return fail("EINVAL");
  const vm = exclusive === 0 ? undefined : c.file.vms.get(exclusive);
  if (exclusive !== 0 && vm === undefined) return fail("EINVAL");
  const bytes = num(size);
  if (!Number.isFinite(bytes)) return fail("EINVAL");
  const g = yield* gemRun(c.d, { type: "create", file: c.file.id, size: bytes, flags, ...(vm && { exclusiveVm: { file: c.file.id, vmId: vm.id } }) });
  if (!g.ok) return { ret: g.ret };
  const created = g.events.find((e) => e.type === "GemObjectCreated");
  if (created?.type !== "GemObjectCreated") return fail("EINVAL");
  if (vm !== undefined) c.d.exclusiveOwner.set(created.payload.obj, vm.uid);
  return ok({ size: created.payload.size, handle: created.payload.handle });
}

/** DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET: pad → -EINVAL, unknown handle → -ENOENT, NO_MMAP → -EPERM. Out: `offset`. */
export function* boMmapOffset(c: IoctlCtx, raw: unknown): KTask<IoctlResult> {
  const a = parseArgs(HandlePadArgs, raw);
  if (!a.ok) return failed(a);
  if (a.value.pad !== 0) return fail("EINVAL");
  const g = yield* gemRun(c.d, { type: "mmapOffset", file: c.file.id, handle: a.value.handle });
  if (!g.ok) return { ret: g.ret };
  return ok({ offset: mmapOffsetOf(c.d.gem, c.file.id, a.value.handle) });
}

/** DRM_IOCTL_GEM_CLOSE: pad or a handle the file does not have → -EINVAL. */
export function* gemClose(c: IoctlCtx, raw: unknown): KTask<IoctlResult> {
  const a = parseArgs(HandlePadArgs, raw);
  if (!a.ok) return failed(a);
  if (a.value.pad !== 0) return fail("EINVAL");
  const g = yield* gemRun(c.d, { type: "close", file: c.file.id, handle: a.value.handle });
  return g.ok ? ok() : { ret: g.ret };
}

/**
 * DRM_IOCTL_PANTHOR_BO_SET_LABEL: pad → -EINVAL, unknown handle → -ENOENT, bad pointer →
 * -EFAULT, 4096 bytes or more (NUL included) → -E2BIG; NULL clears the label.
 */
export function boSetLabel(c: IoctlCtx, raw: unknown): IoctlResult {
  const a = parseArgs(SetLabelArgs, raw);
  if (!a.ok) return failed(a);
  const { handle, pad, label } = a.value;
  if (pad !== 0) return fail("EINVAL");
  const o = lookupHandle(c.d.gem, c.file.id, handle);
  if (o === undefined) return fail("ENOENT");
  if (label === BAD_POINTER) return fail("EFAULT");
  if (label === null || label === 0) {
    c.d.labels.delete(o.obj);
    return ok();
  }
  if (Buffer.byteLength(label, "utf8") + 1 > PANTHOR_BO_LABEL_MAXLEN) return fail("E2BIG");
  c.d.labels.set(o.obj, label);
  return ok();
}

/** DRM_IOCTL_PANTHOR_BO_QUERY_INFO (1.7): pad → -EINVAL, unknown handle → -ENOENT. Out: `create_flags`, `extra_flags` (never IS_IMPORTED: no PRIME). */
export function boQueryInfo(c: IoctlCtx, raw: unknown): IoctlResult {
  const a = parseArgs(QueryInfoArgs, raw);
  if (!a.ok) return failed(a);
  if (a.value.pad !== 0) return fail("EINVAL");
  const o = lookupHandle(c.d.gem, c.file.id, a.value.handle);
  if (o === undefined) return fail("ENOENT");
  return ok({ create_flags: o.flags, extra_flags: 0 });
}

/** DRM_IOCTL_PANTHOR_BO_SYNC (1.7): each op's handle (-ENOENT), type and range (-EINVAL) checked; no caches to maintain. */
export function boSync(c: IoctlCtx, raw: unknown): IoctlResult {
  const a = parseArgs(BoSyncArgs, raw);
  if (!a.ok) return failed(a);
  const ops = copyObjArray(a.value.ops, { size: 24, minSize: 24 }, BoSyncOp);
  if (!ops.ok) return failed(ops);
  for (const op of ops.value) {
    const o = lookupHandle(c.d.gem, c.file.id, op.handle);
    if (o === undefined) return fail("ENOENT");
    if (op.type > DRM_PANTHOR_BO_SYNC_OP.FLUSH_AND_INVALIDATE) return fail("EINVAL");
    if (op.offset + op.size > BigInt(o.size)) return fail("EINVAL");
  }
  return ok();
}
