/**
 * `panthor_vm_exec_op`: one prepared VM_BIND op applied to a VM, under the MMU lock —
 *
 * 1. drm_gpuvm's split/merge turns the op into map / remap / unmap ops (`execBindOp`);
 * 2. BOs the VM starts mapping are pinned (`GemGpuMapped`, pages allocated and zeroed on first
 *    use; -ENOMEM if the GEM pool is exhausted) and the op's page-table pages are checked
 *    against the pool (-ENOMEM) — nothing has changed yet when either fails;
 * 3. if the VM is resident, the edited VA range is locked on its AS (AS_LOCKADDR, LOCK);
 * 4. the page tables are edited in the CPU's copy and every changed table page is written to RAM
 *    (`MemoryWritten`), the GPUVM tree replaced by the new one;
 * 5. FLUSH_PT and UNLOCK release the region (resident VMs only: a VM without an AS gets a clean
 *    TLB when it is next bound);
 * 6. BOs the VM no longer maps are unpinned (after the flush: the GPU can no longer reach them).
 *
 * Kernel BOs (`kernelBo.ts`) go through the same tree and tables; their pages are the kernel's,
 * pinned for their whole life, so steps 2 and 6 skip them.
 *
 * Returns 0 or the negative errno. Also `panthor_vm_destroy`'s unmap of the whole VA range.
 */
import { ERRNO } from "../../../shared/gpu/errno.ts";
import { pagesOf } from "../../gem/index.ts";
import { applyOps, execBindOp, pageTableActions, vmBoDelta, type PreparedBindOp } from "../../gpuvm/index.ts";
import { mutexLock, mutexUnlock, type KTask } from "../ktask.ts";
import { asFlushAndUnlock, asLockRegion } from "./asSlots.ts";
import type { DriverState, PanthorVm } from "./driverState.ts";
import { gemRun } from "./gemShell.ts";
import { isKernelObj } from "./kernelBo.ts";
import { applyPtActions, editedRange, publishTables, tablesNeeded } from "./ptUpdate.ts";

function* unpinAll(d: DriverState, objs: readonly number[]): KTask<void> {
  for (const obj of objs) yield* gemRun(d, { type: "unmapFromGpu", obj });
}

function* execLocked(d: DriverState, vm: PanthorVm, prepared: PreparedBindOp, force: boolean): KTask<number> {
  if (vm.status === "destroyed" && !force) return -ERRNO.EINVAL;
  const r = execBindOp(vm.gpuvm, prepared, vm.status !== "usable");
  if (!r.ok) return -ERRNO[r.errno];
  if (r.ops.length === 0) return 0;
  const after = applyOps(vm.gpuvm, r.ops);
  const delta = vmBoDelta(vm.gpuvm, after);
  const pinned: number[] = [];
  for (const obj of delta.created) {
    if (isKernelObj(obj)) continue;
    const g = yield* gemRun(d, { type: "mapOnGpu", obj });
    if (!g.ok) {
      yield* unpinAll(d, pinned);
      return g.ret;
    }
    pinned.push(obj);
  }
  const actions = pageTableActions(r.ops, (obj) => (isKernelObj(obj) ? d.kernelPages.framesOf(obj) : pagesOf(d.gem, obj)));
  if (tablesNeeded(actions) > d.ptMem.freeFrameCount) {
    yield* unpinAll(d, pinned);
    return -ERRNO.ENOMEM;
  }
  const range = editedRange(vm.pt, actions);
  const as = vm.as;
  if (as !== undefined && range !== undefined) yield* asLockRegion(as, range.start, range.size);
  applyPtActions(vm.pt, actions);
  vm.gpuvm = after;
  yield* publishTables(d);
  if (as !== undefined && range !== undefined) yield* asFlushAndUnlock(as);
  yield* unpinAll(d, delta.destroyed.filter((obj) => !isKernelObj(obj)));
  return 0;
}

/**
 * Run `prepared` on `vm` under the MMU lock; `force` lets VM destruction unmap a VM already
 * marked destroyed.
 *
 * @example const ret = yield* vmExecOp(d, vm, { type: "unmap", addr: 0x10000, range: 0x1000 });
 */
export function* vmExecOp(d: DriverState, vm: PanthorVm, prepared: PreparedBindOp, force = false): KTask<number> {
  yield* mutexLock(d.mmLock);
  const ret = yield* execLocked(d, vm, prepared, force);
  yield* mutexUnlock(d.mmLock);
  return ret;
}
