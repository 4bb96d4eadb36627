/**
 * `panthor_vm_active()` (panthor.md §5.1): make a VM resident on an AS slot. A VM without a slot
 * takes the first free one above AS0 (-EBUSY when none is left: no LRU eviction before issue 6's
 * scheduler); a VM whose AS took a fault has the fault cleared and its MMU interrupt unmasked;
 * then the AS is programmed (`panthor_mmu_as_enable`). Exposed as `VmActivationRequested` so tests
 * and scenarios can make VMs resident until the scheduler does it for its groups.
 */
import { ERRNO } from "../../../shared/gpu/errno.ts";
import { GPU_COHERENCY, MMU_CONTROL } from "../../../shared/gpu/registers.ts";
import { emit, mutexLock, mutexUnlock, writel, type KTask } from "../ktask.ts";
import { asEnable, firstFreeAs, mmuIrqMask, writeMmuIrqMask } from "./asSlots.ts";
import type { DriverState } from "./driverState.ts";
import { VmActivated, VmActivationFailed } from "./uapiEvents.ts";
import { uapiPaths } from "./uapiPaths.ts";
import { findVm } from "./vmPool.ts";

/** Bind the VM `vmId` of `file` to an AS and program it; the outcome is `VmActivated` or `VmActivationFailed`. */
export function* vmActivate(d: DriverState, file: number, vmId: number): KTask<void> {
  const path = uapiPaths(d.dev.gpu).vmState;
  yield* mutexLock(d.mmLock);
  const vm = findVm(d, file, vmId);
  let as = vm?.as;
  if (vm !== undefined && as === undefined) {
    as = firstFreeAs(d.dev.info.as_present, new Set(d.asSlots.keys()));
    if (as !== undefined) {
      vm.as = as;
      d.asSlots.set(as, vm);
    }
  }
  if (vm === undefined || as === undefined) {
    yield* mutexUnlock(d.mmLock);
    yield* emit(VmActivationFailed, path, { file, vmId, errno: vm === undefined ? -ERRNO.EINVAL : -ERRNO.EBUSY });
    return;
  }
  const bit = 1 << as;
  if ((d.faultyMask & bit) !== 0) {
    yield* writel(MMU_CONTROL.MMU_INT_CLEAR, bit);
    d.faultyMask &= ~bit;
    yield* writeMmuIrqMask(mmuIrqMask(d.dev.info.as_present, d.faultyMask));
  }
  yield* asEnable(as, vm.pt, d.vaBits, d.dev.info.selected_coherency !== GPU_COHERENCY.NONE);
  yield* mutexUnlock(d.mmLock);
  yield* emit(VmActivated, path, { file, vmId, as });
}
