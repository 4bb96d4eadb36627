/**
 * Address-space slots with panthor's LRU (panthor.md §5.1; `panthor_vm_active`,
 * `panthor_vm_idle`, `as.lru_list` in panthor_mmu.c). A VM in use (a resident group, the MCU,
 * a bind touching its tables) counts its users in `asActiveCnt`; at zero it joins the LRU tail
 * but keeps its AS, so activating it again is cheap. A VM without an AS takes the lowest free
 * slot above AS0; when none is free the least recently used idle VM is evicted (its AS disabled
 * and taken); a VM in active use is never evicted — with no idle VM left the answer is -EBUSY
 * (the scheduler bounds resident groups by the AS count so it never asks for more).
 */
import { ERRNO } from "../../../shared/gpu/errno.ts";
import { GPU_COHERENCY, MMU_CONTROL } from "../../../shared/gpu/registers.ts";
import { emit, mutexLock, mutexUnlock, writel, type KTask } from "../ktask.ts";
import { asDisable, asEnable, firstFreeAs, mmuIrqMask, writeMmuIrqMask } from "../uapi/asSlots.ts";
import type { DriverState, PanthorVm } from "../uapi/driverState.ts";
import { VmAsReleased } from "../uapi/uapiEvents.ts";
import { uapiPaths } from "../uapi/uapiPaths.ts";

/** Which AS a VM gets, decided on the slots alone: a free one, one evicted from the LRU head, or none. */
export type AsChoice = { readonly as: number; readonly evict?: PanthorVm } | { readonly as: undefined };

/** The AS choice of `panthor_vm_active` for a VM that has none (pure: nothing changes). */
export function chooseAs(asPresent: number, slots: ReadonlyMap<number, PanthorVm>, lru: readonly PanthorVm[]): AsChoice {
  const free = firstFreeAs(asPresent, new Set(slots.keys()));
  if (free !== undefined) return { as: free };
  const victim = lru.find((vm) => vm.as !== undefined);
  return victim === undefined ? { as: undefined } : { as: victim.as!, evict: victim };
}

/** Take `vm` off the LRU (it is in use again). */
function lruRemove(d: DriverState, vm: PanthorVm): void {
  const i = d.asLru.indexOf(vm);
  if (i >= 0) d.asLru.splice(i, 1);
}

/** Disable and free the AS of an idle VM (LRU eviction, or a destroyed VM); the caller holds the MMU lock. */
export function* asRelease(d: DriverState, vm: PanthorVm): KTask<void> {
  const as = vm.as;
  if (as === undefined) return;
  lruRemove(d, vm);
  yield* asDisable(as);
  d.asSlots.delete(as);
  vm.as = undefined;
  yield* emit(VmAsReleased, uapiPaths(d.dev.gpu).vmState, { file: vm.file, vmId: vm.id, as });
}

/**
 * `panthor_vm_active(vm)`: one more user of the VM's AS; binds and programs an AS when it has
 * none (clearing a pending fault first). Returns the AS, or -EBUSY when every AS is in use.
 */
export function* panthorVmActive(d: DriverState, vm: PanthorVm): KTask<number> {
  yield* mutexLock(d.mmLock);
  try {
    let as = vm.as;
    if (as !== undefined) {
      if (vm.asActiveCnt++ === 0) lruRemove(d, vm);
      // A bound AS is programmed already, unless a fault disabled it: then clear it and enable again.
      if ((d.faultyMask & (1 << as)) === 0) return as;
    } else {
      const choice = chooseAs(d.dev.info.as_present, d.asSlots, d.asLru);
      if (choice.as === undefined) return -ERRNO.EBUSY;
      if (choice.evict !== undefined) yield* asRelease(d, choice.evict);
      as = choice.as;
      vm.as = as;
      vm.asActiveCnt = 1;
      d.asSlots.set(as, vm);
    }
    const bit = 1 << as;
    if ((d.faultyMask & bit) !== 0) {
      yield* writel(MMU_CONTROL.MMU_INT_CLEAR, bit);
      d.faultyMask &= ~bit;
      yield* writeMmuIrqMask(mmuIrqMask(d.dev.info.as_present, d.faultyMask));
    }
    yield* asEnable(as, vm.pt, d.vaBits, d.dev.info.selected_coherency !== GPU_COHERENCY.NONE);
    return as;
  } finally {
    yield* mutexUnlock(d.mmLock);
  }
}

/** `panthor_vm_idle(vm)`: one user less; at zero the VM joins the LRU tail, keeping its AS. */
export function panthorVmIdle(d: DriverState, vm: PanthorVm): void {
  if (vm.asActiveCnt === 0) return;
  if (--vm.asActiveCnt === 0 && vm.as !== undefined && !d.asLru.includes(vm)) d.asLru.push(vm);
}
