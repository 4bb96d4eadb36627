/**
 * The MMU's part of runtime PM over the driver's memory-side state (`panthor_mmu.c`):
 * `panthor_mmu_suspend()` and `panthor_mmu_resume()`.
 */
import { MMU_CONTROL } from "../../../shared/gpu/registers.ts";
import { emit, mutexLock, mutexUnlock, type KTask } from "../ktask.ts";
import { asDisable, mmuIrqMask } from "../uapi/asSlots.ts";
import type { DriverState, PanthorVm } from "../uapi/driverState.ts";
import { VmAsReleased } from "../uapi/uapiEvents.ts";
import { uapiPaths } from "../uapi/uapiPaths.ts";
import { irqResume, irqSuspend } from "./gpuPower.ts";

/**
 * `panthor_vm_release_as_locked()`: the VM loses its slot, its user count and its LRU place;
 * `panthor_vm_active()` binds it again when it is next needed.
 */
function releaseAs(d: DriverState, vm: PanthorVm, as: number): void {
  d.asSlots.delete(as);
  const i = d.asLru.indexOf(vm);
  if (i >= 0) d.asLru.splice(i, 1);
  vm.asActiveCnt = 0;
  vm.as = undefined;
}

/**
 * `panthor_mmu_suspend()`: under the slots lock, disable every AS holding a VM and release it,
 * then mask the MMU interrupt. The MCU's AS0 is disabled too; the firmware's resume hook programs
 * it again (`panthor_fw_post_reset()` → `panthor_vm_active()` on the firmware VM), so the VM keeps
 * its AS number here.
 */
export function* mmuSuspend(d: DriverState): KTask<void> {
  yield* mutexLock(d.mmLock);
  if (d.mcuVm?.as === 0) yield* asDisable(0);
  for (const as of [...d.asSlots.keys()].sort((a, b) => a - b)) {
    const vm = d.asSlots.get(as)!;
    yield* asDisable(as);
    releaseAs(d, vm, as);
    yield* emit(VmAsReleased, uapiPaths(d.dev.gpu).vmState, { file: vm.file, vmId: vm.id, as });
  }
  yield* mutexUnlock(d.mmLock);
  yield* irqSuspend(MMU_CONTROL.MMU_INT_MASK);
}

/**
 * `panthor_mmu_resume()`: forget the slot allocation and the faulty ASes, then unmask the fault
 * interrupt of every present AS (`panthor_mmu_fault_mask(ptdev, ~0)`).
 */
export function* mmuResume(d: DriverState): KTask<void> {
  d.faultyMask = 0;
  const mask = mmuIrqMask(d.dev.info.as_present, 0);
  yield* irqResume(MMU_CONTROL.MMU_INT_CLEAR, MMU_CONTROL.MMU_INT_MASK, mask);
}
