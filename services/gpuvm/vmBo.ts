/**
 * `drm_gpuvm_bo` bookkeeping (`drm_gpuvm.c`; kernel-tests.md §1.7): one vm_bo per (VM, object),
 * reference counted, holding the VAs linked to it; the VM's external-object and evicted lists.
 *
 * Panthor's rule on top (`panthor_vm_bo_put`): a BO's pages stay pinned while its vm_bo exists,
 * so {@link vmBoDelta} tells the driver when to pin (`drm_gem_shmem_pin`) and unpin.
 *
 * Simplified: the object's own list of vm_bos across VMs (`obj->gpuva.list`) is not kept; the
 * table lives in the VM value. Whether an object is external is recorded on the VM
 * ({@link shareVmResv}) instead of comparing `dma_resv` pointers.
 */
import { ERRNO } from "../../shared/gpu/errno.ts";
import { DRM_GPUVM_RESV_PROTECTED, GpuVmStateError, vaById, type GpuVm, type VmBo } from "./gpuvm.ts";

function vmBoOf(vm: GpuVm, obj: number, operation: string): VmBo {
  const bo = vm.vmBos.get(obj);
  if (bo === undefined) throw new GpuVmStateError(vm.name, operation, `no vm_bo for object ${obj}`);
  return bo;
}

function withVmBo(vm: GpuVm, bo: VmBo): GpuVm {
  const vmBos = new Map(vm.vmBos);
  vmBos.set(bo.obj, bo);
  return { ...vm, vmBos };
}

/** Drop the vm_bo and take it off the extobj and evict lists (`drm_gpuvm_bo_destroy`). */
function destroy(vm: GpuVm, obj: number): GpuVm {
  const vmBos = new Map(vm.vmBos);
  vmBos.delete(obj);
  return { ...vm, vmBos, extobjs: vm.extobjs.filter((o) => o !== obj), evictList: vm.evictList.filter((o) => o !== obj) };
}

/** `drm_gpuvm_is_extobj`: the object does not share the VM's reservation object (GPUVM-B04). */
export function isExtobj(vm: GpuVm, obj: number): boolean {
  return !vm.sharedResvObjs.has(obj);
}

/** Record that `obj` uses the VM's reservation object (panthor: a BO created with `exclusive_vm_id`). */
export function shareVmResv(vm: GpuVm, obj: number): GpuVm {
  return { ...vm, sharedResvObjs: new Set([...vm.sharedResvObjs, obj]) };
}

/**
 * `drm_gpuvm_bo_obtain`: the vm_bo of (vm, obj) with one more reference; created with refcount 1
 * when absent (GPUVM-B01).
 */
export function boObtain(vm: GpuVm, obj: number): { vm: GpuVm; vmBo: VmBo } {
  const old = vm.vmBos.get(obj);
  const vmBo: VmBo = old ? { ...old, refcount: old.refcount + 1 } : { obj, refcount: 1, vas: [], evicted: false };
  return { vm: withVmBo(vm, vmBo), vmBo };
}

/**
 * `drm_gpuvm_bo_obtain_prealloc`: link the preallocated `pre` unless a vm_bo for its object
 * exists, in which case that one gains a reference and `pre` is dropped (GPUVM-B02).
 */
export function boObtainPrealloc(vm: GpuVm, pre: VmBo): { vm: GpuVm; vmBo: VmBo; preDropped: boolean } {
  if (!vm.vmBos.has(pre.obj)) return { vm: withVmBo(vm, pre), vmBo: pre, preDropped: false };
  return { ...boObtain(vm, pre.obj), preDropped: true };
}

/** `drm_gpuvm_bo_put`: drop a reference; at zero the vm_bo is destroyed (returns `destroyed`). */
export function boPut(vm: GpuVm, obj: number): { vm: GpuVm; destroyed: boolean } {
  const bo = vmBoOf(vm, obj, "bo_put");
  if (bo.refcount <= 1) return { vm: destroy(vm, obj), destroyed: true };
  return { vm: withVmBo(vm, { ...bo, refcount: bo.refcount - 1 }), destroyed: false };
}

/**
 * `drm_gpuva_link`: append the VA to its object's vm_bo (obtained, so created if needed) and take
 * one vm_bo reference. A VA without an object is not linked (GPUVM-B03).
 */
export function vaLink(vm: GpuVm, vaId: number): GpuVm {
  const va = vaById(vm, vaId);
  if (va === undefined) throw new GpuVmStateError(vm.name, "va_link", `no VA with id ${vaId}`);
  if (va.obj === null) return vm;
  const { vm: next, vmBo } = boObtain(vm, va.obj);
  return withVmBo(next, { ...vmBo, vas: [...vmBo.vas, vaId] });
}

/** `drm_gpuva_unlink`: remove the VA from its vm_bo and drop the reference the link held. */
export function vaUnlink(vm: GpuVm, vaId: number, obj: number | null): GpuVm {
  if (obj === null) return vm;
  const bo = vmBoOf(vm, obj, "va_unlink");
  if (!bo.vas.includes(vaId)) throw new GpuVmStateError(vm.name, "va_unlink", `VA ${vaId} is not linked to the vm_bo of ${obj}`);
  return boPut(withVmBo(vm, { ...bo, vas: bo.vas.filter((id) => id !== vaId) }), obj).vm;
}

/** `drm_gpuvm_bo_extobj_add`: put an external object's vm_bo on the extobj list, once (GPUVM-B04). */
export function extobjAdd(vm: GpuVm, obj: number): GpuVm {
  vmBoOf(vm, obj, "extobj_add");
  if (!isExtobj(vm, obj) || vm.extobjs.includes(obj)) return vm;
  return { ...vm, extobjs: [...vm.extobjs, obj] };
}

/**
 * `drm_gpuvm_bo_evict`: set `evicted` and add the vm_bo to, or take it off, the evict list. With
 * `DRM_GPUVM_RESV_PROTECTED`, external objects are left to {@link prepareObjects} (GPUVM-B05).
 */
export function boEvict(vm: GpuVm, obj: number, evict: boolean): GpuVm {
  const next = withVmBo(vm, { ...vmBoOf(vm, obj, "bo_evict"), evicted: evict });
  if ((vm.flags & DRM_GPUVM_RESV_PROTECTED) !== 0 && isExtobj(vm, obj)) return next;
  const listed = next.evictList.includes(obj);
  if (evict && !listed) return { ...next, evictList: [...next.evictList, obj] };
  if (!evict && listed) return { ...next, evictList: next.evictList.filter((o) => o !== obj) };
  return next;
}

/**
 * `drm_gpuvm_prepare_objects` (the list part): in RESV_PROTECTED mode, evicted external objects
 * are moved onto the evict list once their locks are held. Returns the extobjs to lock, in order.
 */
export function prepareObjects(vm: GpuVm): { vm: GpuVm; locked: number[] } {
  let next = vm;
  if ((vm.flags & DRM_GPUVM_RESV_PROTECTED) !== 0) {
    for (const obj of vm.extobjs) {
      if (vm.vmBos.get(obj)?.evicted && !next.evictList.includes(obj)) next = { ...next, evictList: [...next.evictList, obj] };
    }
  }
  return { vm: next, locked: [...vm.extobjs] };
}

/**
 * `drm_gpuvm_validate`: call `validateBo` once per vm_bo on the evict list, in order; the first
 * error stops the loop (GPUVM-B06). A vm_bo validated successfully is no longer evicted and leaves
 * the list (the driver's callback would call `drm_gpuvm_bo_evict(vm_bo, false)`; in RESV_PROTECTED
 * mode the loop itself removes it). -EOPNOTSUPP without a callback.
 */
export function validate(vm: GpuVm, validateBo?: (obj: number) => number): { vm: GpuVm; ret: number } {
  if (validateBo === undefined) return { vm, ret: -ERRNO.EOPNOTSUPP };
  let next = vm;
  for (const obj of vm.evictList) {
    const ret = validateBo(obj);
    if (ret !== 0) return { vm: next, ret };
    next = withVmBo(next, { ...vmBoOf(next, obj, "validate"), evicted: false });
    next = { ...next, evictList: next.evictList.filter((o) => o !== obj) };
  }
  return { vm: next, ret: 0 };
}

/**
 * Which vm_bos appeared and disappeared between two states of a VM. Panthor pins a BO's pages when
 * its vm_bo is created (`panthor_vm_prepare_map_op_ctx`) and unpins them when it is destroyed
 * (`panthor_vm_bo_put`), so the driver feeds `created` to GEM `mapOnGpu` and `destroyed` to
 * `unmapFromGpu`.
 */
export function vmBoDelta(before: GpuVm, after: GpuVm): { created: number[]; destroyed: number[] } {
  return {
    created: [...after.vmBos.keys()].filter((o) => !before.vmBos.has(o)),
    destroyed: [...before.vmBos.keys()].filter((o) => !after.vmBos.has(o)),
  };
}
