/**
 * drm_gpuvm's other op generators and the object sets its `drm_exec` helpers lock
 * (kernel-tests.md §1.7, GPUVM-B07, B08, B10).
 */
import { GpuVmStateError, vaById, vasInRange, type GpuVm } from "./gpuvm.ts";
import type { GpuVaOp, PrefetchOp, SmMapRequest, UnmapOp } from "./ops.ts";
import { smMap, smUnmap } from "./splitMerge.ts";

/** `drm_gpuvm_prefetch_ops_create`: one PREFETCH per VA overlapping the range, in address order (may be empty). */
export function prefetchOps(vm: GpuVm, addr: number, range: number): PrefetchOp[] {
  return vasInRange(vm, addr, addr + range).map((va) => ({ type: "prefetch", va }));
}

/** `drm_gpuvm_bo_unmap_ops_create`: one `UNMAP{keep: false}` per VA linked to the object's vm_bo, in link order. */
export function boUnmapOps(vm: GpuVm, obj: number): UnmapOp[] {
  const bo = vm.vmBos.get(obj);
  if (bo === undefined) return [];
  return bo.vas.map((id) => {
    const va = vaById(vm, id);
    if (va === undefined) throw new GpuVmStateError(vm.name, "bo_unmap_ops_create", `vm_bo of ${obj} links missing VA ${id}`);
    return { type: "unmap", va, keep: false };
  });
}

function targets(ops: readonly GpuVaOp[]): (number | null)[] {
  return ops.map((op) => (op.type === "remap" ? op.unmap.va.obj : op.type === "unmap" ? op.va.obj : null));
}

function distinct(objs: readonly (number | null)[]): number[] {
  const out: number[] = [];
  for (const o of objs) if (o !== null && !out.includes(o)) out.push(o);
  return out;
}

/**
 * `drm_gpuvm_sm_map_exec_lock`: the objects locked for a map — `req.obj` (prepared with fences)
 * first, then the object of every REMAP or UNMAP target, each once. Empty for an invalid range
 * (the kernel returns -EINVAL there; callers validate first).
 */
export function smMapExecLockObjs(vm: GpuVm, req: SmMapRequest): number[] {
  const r = smMap(vm, req);
  return r.ok ? distinct([req.obj, ...targets(r.ops)]) : [];
}

/** `drm_gpuvm_sm_unmap_exec_lock`: the objects of the REMAP and UNMAP targets, each once. */
export function smUnmapExecLockObjs(vm: GpuVm, addr: number, range: number): number[] {
  const r = smUnmap(vm, addr, range);
  return r.ok ? distinct(targets(r.ops)) : [];
}
