/**
 * One `drm_panthor_vm_bind_op` checked and turned into drm_gpuvm ops, as panthor does it
 * (`panthor_mmu.c`; panthor.md §1.6, §5.5):
 * - {@link prepareBindOp} mirrors the ioctl-time part: `panthor_vm_bind_exec_sync_op`'s first
 *   checks or `panthor_vm_bind_job_create`, then `panthor_vm_bind_prepare_op_ctx` and
 *   `panthor_vm_prepare_map_op_ctx` / `_unmap_op_ctx` / `_sync_only_op_ctx`;
 * - {@link execBindOp} mirrors `panthor_vm_exec_op`: MAP on an unusable VM fails, otherwise
 *   `drm_gpuvm_sm_map` / `drm_gpuvm_sm_unmap` (range validity lives there).
 * Synchronous binds run both at once; an asynchronous bind runs `execBindOp` from its job, and a
 * failure there makes the VM unusable (the caller sets the flag, as `panthor_vm_bind_run_job`).
 *
 * Every rejection is -EINVAL, as in panthor, including an unknown BO handle (`drm_gem_object_lookup`
 * returns NULL and `panthor_vm_prepare_map_op_ctx` answers -EINVAL, not -ENOENT).
 *
 * Deviations: the user-VA check ({@link VmBindTarget.kernelVaStart}) follows panthor.md §1.6
 * ("inside the user VA range"); the panthor_mmu.c read has no such check and relies on drm_gpuvm's
 * whole-VA range. `MAP_SPARSE` (newest header only) is treated as an unknown type. Sync-object
 * arrays are reduced to their count; their own checks belong to the syncobj code. A zero-size
 * asynchronous MAP/UNMAP is accepted as a no-op (drm_gpuvm leaves range 0 unspecified).
 */
import type { ErrnoName } from "../../shared/gpu/errno.ts";
import { PAGE_SIZE } from "../../shared/gpu/physicalMemory.ts";
import type { GpuVm } from "./gpuvm.ts";
import type { OpsResult, SmMapRequest } from "./ops.ts";
import { smMap, smUnmap } from "./splitMerge.ts";

/** `enum drm_panthor_vm_bind_op_flags` (uapi `panthor_drm.h`). */
export const DRM_PANTHOR_VM_BIND_OP = {
  MAP_READONLY: 1 << 0,
  MAP_NOEXEC: 1 << 1,
  MAP_UNCACHED: 1 << 2,
  TYPE_MASK: 0xf000_0000,
  TYPE_MAP: 0,
  TYPE_UNMAP: 0x1000_0000,
  TYPE_SYNC_ONLY: 0x2000_0000,
  TYPE_MAP_SPARSE: 0x3000_0000,
} as const;

/** `DRM_PANTHOR_VM_BIND_ASYNC`, the only `drm_panthor_vm_bind.flags` bit. */
export const DRM_PANTHOR_VM_BIND_ASYNC = 1 << 0;

/** `PANTHOR_VM_MAP_FLAGS`: the op flags a VMA keeps (READONLY | NOEXEC | UNCACHED). */
export const PANTHOR_VM_MAP_FLAGS = DRM_PANTHOR_VM_BIND_OP.MAP_READONLY | DRM_PANTHOR_VM_BIND_OP.MAP_NOEXEC | DRM_PANTHOR_VM_BIND_OP.MAP_UNCACHED;

const TYPE_UNIT = 2 ** 28;

/** `struct drm_panthor_vm_bind_op`, with `syncs` reduced to its element count. */
export interface VmBindOpArgs {
  readonly flags: number;
  readonly boHandle: number;
  readonly boOffset: number;
  readonly va: number;
  readonly size: number;
  readonly syncCount: number;
}

/** A VM as a DRM file names it: exclusive-VM BOs remember which one they belong to. */
export interface VmRef {
  readonly file: number;
  readonly vmId: number;
}

/** What the bind needs to know about a BO found by handle in the caller's file. */
export interface BindBo {
  readonly obj: number;
  /** Size in bytes (already page-rounded by BO_CREATE). */
  readonly size: number;
  /** Set for BOs created with `exclusive_vm_id`. */
  readonly exclusiveVm?: VmRef;
}

/** The VM a bind targets, as panthor sees it. */
export interface VmBindTarget {
  readonly vm: GpuVm;
  readonly ref: VmRef;
  /** Start of the kernel VA section (VM_CREATE's returned `user_va_range`); user binds stay below it. */
  readonly kernelVaStart: number;
  /** `vm->unusable`: an asynchronous bind failed earlier. */
  readonly unusable: boolean;
  /** `vm->destroyed`. */
  readonly destroyed?: boolean;
  /** `panthor_vm_page_size()`: the smallest size of the io-pgtable bitmap, 4 KiB. */
  readonly pageSize?: number;
  /** `drm_gem_object_lookup` in the caller's DRM file. */
  readonly lookupBo: (handle: number) => BindBo | undefined;
}

/** A bind op that passed the ioctl-time checks (`struct panthor_vm_op_ctx`, reduced). */
export type PreparedBindOp =
  | { readonly type: "map"; readonly req: SmMapRequest; readonly bo: BindBo }
  | { readonly type: "unmap"; readonly addr: number; readonly range: number }
  | { readonly type: "sync-only" }
  | { readonly type: "noop" };

/** Result of {@link prepareBindOp}. */
export type PrepareResult = { readonly ok: true; readonly prepared: PreparedBindOp } | { readonly ok: false; readonly errno: ErrnoName };

const EINVAL = { ok: false, errno: "EINVAL" } as const;

function isU64(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/**
 * The ioctl-time checks of one bind op (see the file comment for the kernel functions), in
 * panthor's order. `async` selects `panthor_vm_bind_job_create` (unusable or destroyed VM → -EINVAL
 * for every op type) over the synchronous path (syncs → -EINVAL; size 0 → nothing to do).
 */
export function prepareBindOp(target: VmBindTarget, op: VmBindOpArgs, async: boolean): PrepareResult {
  const { flags, boHandle, boOffset, va, size, syncCount } = op;
  if (![boHandle, boOffset, va, size, syncCount].every(isU64) || !Number.isInteger(flags) || flags < 0 || flags >= 2 ** 32) return EINVAL;
  if (async) {
    if (target.destroyed || target.unusable) return EINVAL;
  } else {
    if (syncCount !== 0) return EINVAL;
    if (size === 0) return { ok: true, prepared: { type: "noop" } };
  }
  const pageSize = target.pageSize ?? PAGE_SIZE;
  if (va % pageSize !== 0 || size % pageSize !== 0 || boOffset % pageSize !== 0) return EINVAL;
  const type = Math.floor(flags / TYPE_UNIT) * TYPE_UNIT;
  const low = flags % TYPE_UNIT;
  switch (type) {
    case DRM_PANTHOR_VM_BIND_OP.TYPE_MAP: {
      const bo = target.lookupBo(boHandle);
      if (bo === undefined) return EINVAL;
      if ((low & ~PANTHOR_VM_MAP_FLAGS) !== 0) return EINVAL;
      if (size > bo.size || boOffset > bo.size - size) return EINVAL;
      const ex = bo.exclusiveVm;
      if (ex !== undefined && (ex.file !== target.ref.file || ex.vmId !== target.ref.vmId)) return EINVAL;
      if (va + size > target.kernelVaStart) return EINVAL;
      if (size === 0) return { ok: true, prepared: { type: "noop" } };
      return { ok: true, prepared: { type: "map", bo, req: { addr: va, range: size, obj: bo.obj, offset: boOffset, flags: low & PANTHOR_VM_MAP_FLAGS } } };
    }
    case DRM_PANTHOR_VM_BIND_OP.TYPE_UNMAP:
      if (low !== 0 || boHandle !== 0 || boOffset !== 0) return EINVAL;
      if (va + size > target.kernelVaStart) return EINVAL;
      return { ok: true, prepared: size === 0 ? { type: "noop" } : { type: "unmap", addr: va, range: size } };
    case DRM_PANTHOR_VM_BIND_OP.TYPE_SYNC_ONLY:
      if (low !== 0 || boHandle !== 0 || boOffset !== 0 || va !== 0 || size !== 0 || syncCount === 0) return EINVAL;
      return { ok: true, prepared: { type: "sync-only" } };
    default:
      return EINVAL;
  }
}

/**
 * `panthor_vm_exec_op`: the drm_gpuvm ops of a prepared bind. SYNC_ONLY and no-ops give no ops;
 * MAP on an unusable VM is -EINVAL (UNMAP stays allowed so user space can tear down); an invalid
 * range is drm_gpuvm's -EINVAL.
 */
export function execBindOp(vm: GpuVm, prepared: PreparedBindOp, unusable: boolean): OpsResult {
  switch (prepared.type) {
    case "map":
      return unusable ? EINVAL : smMap(vm, prepared.req);
    case "unmap":
      return smUnmap(vm, prepared.addr, prepared.range);
    case "sync-only":
    case "noop":
      return { ok: true, ops: [] };
  }
}

/**
 * A synchronous VM_BIND op end to end (`panthor_vm_bind_exec_sync_op`): the ops to apply, or the
 * errno. The ioctl stops at the first failing op and writes its index back to `ops.count`.
 *
 * @example vmBindSync(target, { flags: DRM_PANTHOR_VM_BIND_OP.TYPE_UNMAP, boHandle: 0, boOffset: 0, va: 0x10000, size: 0x1000, syncCount: 0 })
 */
export function vmBindSync(target: VmBindTarget, op: VmBindOpArgs): OpsResult {
  const p = prepareBindOp(target, op, false);
  return p.ok ? execBindOp(target.vm, p.prepared, target.unusable) : p;
}
