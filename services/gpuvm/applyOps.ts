/**
 * Applying an op list to the VA tree, as panthor's `sm_step_*` callbacks do with drm_gpuvm's
 * helpers (`panthor_gpuva_sm_step_map/remap/unmap` in `panthor_mmu.c`):
 * - MAP: `drm_gpuva_map` inserts a new VA, `drm_gpuva_link` links it to the object's vm_bo;
 * - REMAP: `drm_gpuva_remap` inserts `prev`/`next` (linked first, so the vm_bo survives) and
 *   removes the old VA, which is then unlinked;
 * - UNMAP: `drm_gpuva_unmap` removes the VA, `drm_gpuva_unlink` drops its vm_bo reference;
 * - PREFETCH changes nothing.
 *
 * Page-table work is separate (`pageTableActions.ts`). New VAs get ids from `nextVaId` in op
 * order, so the result is a deterministic function of (vm, ops).
 */
import { GpuVmStateError, insertSorted, type GpuVa, type GpuVm } from "./gpuvm.ts";
import type { GpuVaOp, OpMap, OpUnmap } from "./ops.ts";
import { vaLink, vaUnlink } from "./vmBo.ts";

function insertMap(vm: GpuVm, map: OpMap): { vm: GpuVm; id: number } {
  const id = vm.nextVaId;
  const va: GpuVa = { id, addr: map.addr, range: map.range, obj: map.obj, offset: map.offset, flags: map.flags };
  return { vm: { ...vm, vas: insertSorted(vm, vm.vas, va), nextVaId: id + 1 }, id };
}

function removeOld(vm: GpuVm, unmap: OpUnmap): GpuVm {
  const cur = vm.vas.find((v) => v.id === unmap.va.id);
  if (cur === undefined || cur.addr !== unmap.va.addr || cur.range !== unmap.va.range) {
    throw new GpuVmStateError(vm.name, "apply", `VA ${unmap.va.id} at 0x${unmap.va.addr.toString(16)} is not in the tree as the op expects`);
  }
  if (cur.id === 0) throw new GpuVmStateError(vm.name, "apply", "an op removes the kernel reserved node");
  return { ...vm, vas: vm.vas.filter((v) => v.id !== cur.id) };
}

function applyOne(vm: GpuVm, op: GpuVaOp): GpuVm {
  switch (op.type) {
    case "map": {
      const { vm: next, id } = insertMap(vm, op.map);
      return vaLink(next, id);
    }
    case "remap": {
      let next = removeOld(vm, op.unmap);
      for (const piece of [op.prev, op.next]) {
        if (piece === undefined) continue;
        const inserted = insertMap(next, piece);
        next = vaLink(inserted.vm, inserted.id);
      }
      return vaUnlink(next, op.unmap.va.id, op.unmap.va.obj);
    }
    case "unmap":
      return vaUnlink(removeOld(vm, op), op.va.id, op.va.obj);
    case "prefetch":
      return vm;
  }
}

/**
 * Apply `ops` (generated from `vm` by `smMap`, `smUnmap`, `madviseOps` or `boUnmapOps`) in order
 * and return the new VM. Throws {@link GpuVmStateError} when an op does not fit the tree (it was
 * generated from a different VM state): a simulator bug, never a driver-visible errno.
 *
 * @example applyOps(vm, unwrap(smMap(vm, { addr: 0, range: 0x1000, obj: 1, offset: 0 })))
 */
export function applyOps(vm: GpuVm, ops: readonly GpuVaOp[]): GpuVm {
  return ops.reduce(applyOne, vm);
}
