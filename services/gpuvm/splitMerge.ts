/**
 * drm_gpuvm's split/merge: turning a map or unmap request into the ops that make the VA tree match
 * it (`__drm_gpuvm_sm_map`, `__drm_gpuvm_sm_unmap` in `drm_gpuvm.c`; kernel-tests.md §1.2–1.6).
 *
 * `sm_map` walks every VA overlapping the request in address order and emits UNMAP for VAs the
 * request swallows, REMAP for VAs it cuts (keeping a `prev` and/or `next` piece), then one MAP of
 * the request. "Merge" in drm_gpuvm means only this: the request absorbs what it overlaps, and
 * `keep` says the old PTEs of the same object at a contiguous offset could be reused. Adjacent,
 * non-overlapping VAs of the same object are never coalesced, and nothing is skipped when the
 * request equals an existing VA (GPUVM-01 emits UNMAP(keep) + MAP).
 *
 * The walk reads the VM and never changes it; apply the ops with `applyOps` before generating
 * the next list. Two entry points per walk mirror the kernel's two styles: `*Steps` calls
 * driver callbacks (`drm_gpuvm_sm_map` with `drm_gpuvm_ops`), the others return the op list
 * (`drm_gpuvm_sm_map_ops_create`).
 */
import { ERRNO, errnoName, type ErrnoName } from "../../shared/gpu/errno.ts";
import { GpuVmStateError, rangeValid, vasInRange, type GpuVm } from "./gpuvm.ts";
import type { GpuVaOp, MapOp, OpMap, OpsResult, RemapOp, SmMapRequest, UnmapOp } from "./ops.ts";

/** `drm_gpuvm_ops.sm_step_*`: each returns 0 or a negative errno, which stops the walk. */
export interface SmSteps {
  readonly stepMap?: (op: MapOp) => number;
  readonly stepRemap?: (op: RemapOp) => number;
  readonly stepUnmap?: (op: UnmapOp) => number;
}

type Emit = (op: GpuVaOp) => number;

/** Throw when a valid range still cannot be computed exactly with JS numbers (a simulator limit). */
function assertExact(vm: GpuVm, addr: number, range: number): void {
  if (addr + range > Number.MAX_SAFE_INTEGER) {
    throw new GpuVmStateError(vm.name, "split/merge", `range [0x${addr.toString(16)}, +0x${range.toString(16)}) ends above 2^53`);
  }
}

/**
 * The shared walk of `__drm_gpuvm_sm_map`, step table of kernel-tests.md §1.2. In madvise mode
 * (`drm_gpuvm_madvise_ops_create`, §1.6) VAs with an object are skipped, UNMAPs are dropped, a
 * MAP of the cut part follows an edge REMAP, and the request's own MAP is emitted only when a
 * REMAP split it at an edge.
 */
function walkMap(vm: GpuVm, req: SmMapRequest, emit: Emit, madvise: boolean): number {
  if (!rangeValid(vm, req.addr, req.range)) return -ERRNO.EINVAL;
  assertExact(vm, req.addr, req.range);
  const reqEnd = req.addr + req.range;
  const reqFlags = req.flags ?? 0;
  const reqMap: OpMap = { addr: req.addr, range: req.range, obj: req.obj, offset: req.offset, flags: reqFlags };
  let finalMap: OpMap | undefined = madvise ? undefined : reqMap;
  const unmap = (va: GpuVaOp & { type: "unmap" }): number => (madvise ? 0 : emit(va));
  const madviseMap = (addr: number, range: number): number =>
    emit({ type: "map", map: { addr, range, obj: null, offset: 0, flags: reqFlags } });

  for (const va of vasInRange(vm, req.addr, reqEnd)) {
    const { addr, range, obj, offset } = va;
    const end = addr + range;
    if (madvise && obj !== null) continue;
    const sameObj = obj !== null && obj === req.obj;
    let ret: number;
    if (addr === req.addr) {
      const keep = sameObj && offset === req.offset;
      if (end <= reqEnd) {
        ret = unmap({ type: "unmap", va, keep });
        if (ret !== 0) return ret;
        if (end === reqEnd) break;
        continue;
      }
      const next: OpMap = { addr: reqEnd, range: range - req.range, obj, offset: offset + req.range, flags: va.flags };
      ret = emit({ type: "remap", next, unmap: { va, keep } });
      if (ret !== 0) return ret;
      if (madvise) finalMap = reqMap;
      break;
    } else if (addr < req.addr) {
      const lsRange = req.addr - addr;
      const prev: OpMap = { addr, range: lsRange, obj, offset, flags: va.flags };
      const keep = sameObj && offset + lsRange === req.offset;
      if (end > reqEnd) {
        const next: OpMap = { addr: reqEnd, range: end - reqEnd, obj, offset: offset + lsRange + req.range, flags: va.flags };
        ret = emit({ type: "remap", prev, next, unmap: { va, keep } });
        if (ret !== 0) return ret;
        if (madvise) finalMap = reqMap;
        break;
      }
      ret = emit({ type: "remap", prev, unmap: { va, keep } });
      if (ret !== 0) return ret;
      if (end === reqEnd) {
        if (madvise) finalMap = reqMap;
        break;
      }
      if (madvise) {
        ret = madviseMap(req.addr, end - req.addr);
        if (ret !== 0) return ret;
      }
    } else {
      const keep = sameObj && offset === req.offset + (addr - req.addr);
      if (end <= reqEnd) {
        ret = unmap({ type: "unmap", va, keep });
        if (ret !== 0) return ret;
        if (end === reqEnd) break;
        continue;
      }
      const next: OpMap = { addr: reqEnd, range: end - reqEnd, obj, offset: offset + (reqEnd - addr), flags: va.flags };
      ret = emit({ type: "remap", next, unmap: { va, keep } });
      if (ret !== 0) return ret;
      if (madvise) return madviseMap(addr, reqEnd - addr);
      break;
    }
  }
  return finalMap === undefined ? 0 : emit({ type: "map", map: finalMap });
}

/** The shared walk of `__drm_gpuvm_sm_unmap` (kernel-tests.md §1.5): never sets `keep`. */
function walkUnmap(vm: GpuVm, addr: number, range: number, emit: Emit): number {
  if (!rangeValid(vm, addr, range)) return -ERRNO.EINVAL;
  assertExact(vm, addr, range);
  const reqEnd = addr + range;
  for (const va of vasInRange(vm, addr, reqEnd)) {
    const end = va.addr + va.range;
    const prev: OpMap | undefined =
      va.addr < addr ? { addr: va.addr, range: addr - va.addr, obj: va.obj, offset: va.offset, flags: va.flags } : undefined;
    const next: OpMap | undefined =
      end > reqEnd ? { addr: reqEnd, range: end - reqEnd, obj: va.obj, offset: va.offset + (reqEnd - va.addr), flags: va.flags } : undefined;
    const op: GpuVaOp =
      prev !== undefined || next !== undefined
        ? { type: "remap", ...(prev && { prev }), ...(next && { next }), unmap: { va, keep: false } }
        : { type: "unmap", va, keep: false };
    const ret = emit(op);
    if (ret !== 0) return ret;
  }
  return 0;
}

function dispatch(steps: SmSteps): Emit {
  return (op) => {
    switch (op.type) {
      case "map":
        return steps.stepMap!(op);
      case "remap":
        return steps.stepRemap!(op);
      case "unmap":
        return steps.stepUnmap!(op);
      default:
        return -ERRNO.EINVAL;
    }
  };
}

function collect(run: (emit: Emit) => number): OpsResult {
  const ops: GpuVaOp[] = [];
  const ret = run((op) => {
    ops.push(op);
    return 0;
  });
  return ret === 0 ? { ok: true, ops } : { ok: false, errno: errnoName(ret) as ErrnoName };
}

/**
 * `drm_gpuvm_sm_map`: walk the request, calling the driver's steps. -EINVAL when any of the three
 * steps is missing (GPUVM-V13) or the range is invalid; a step's error stops the walk and is returned.
 */
export function smMapSteps(vm: GpuVm, req: SmMapRequest, steps: SmSteps): number {
  if (!steps.stepMap || !steps.stepRemap || !steps.stepUnmap) return -ERRNO.EINVAL;
  return walkMap(vm, req, dispatch(steps), false);
}

/**
 * `drm_gpuvm_sm_map_ops_create`: the ops that insert `req` (UNMAPs, at most two REMAPs, then
 * exactly one MAP), or -EINVAL for an invalid range.
 *
 * @example smMap(vm, { addr: 0x1000, range: 0x2000, obj: 7, offset: 0 }) // { ok: true, ops: [..., { type: "map", ... }] }
 */
export function smMap(vm: GpuVm, req: SmMapRequest): OpsResult {
  return collect((emit) => walkMap(vm, req, emit, false));
}

/** `drm_gpuvm_sm_unmap`: -EINVAL when `stepRemap` or `stepUnmap` is missing (GPUVM-V13). */
export function smUnmapSteps(vm: GpuVm, addr: number, range: number, steps: SmSteps): number {
  if (!steps.stepRemap || !steps.stepUnmap) return -ERRNO.EINVAL;
  return walkUnmap(vm, addr, range, dispatch(steps));
}

/** `drm_gpuvm_sm_unmap_ops_create`: UNMAP every VA inside the range, REMAP those straddling its edges. */
export function smUnmap(vm: GpuVm, addr: number, range: number): OpsResult {
  return collect((emit) => walkUnmap(vm, addr, range, emit));
}

/**
 * `drm_gpuvm_madvise_ops_create` (~v6.18): split only object-less VAs at the request's edges so an
 * attribute can be applied to exactly the requested part (GPUVM-M01…M07).
 */
export function madviseOps(vm: GpuVm, req: SmMapRequest): OpsResult {
  return collect((emit) => walkMap(vm, req, emit, true));
}
