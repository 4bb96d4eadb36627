/**
 * The MMU interrupt's threaded handler (`panthor_mmu_irq_handler`, panthor.md §5.6), run when the
 * `mmu` line is asserted: for every AS bit in MMU_INT_STAT, read AS_FAULTSTATUS and
 * AS_FAULTADDRESS, mark the AS faulty and mask its interrupt, clear it, flag the VM bound to it
 * (`vm->unhandled_fault`; tyrsim also makes it UNUSABLE for VM_GET_STATE, see `vmPool.ts`) and
 * disable the AS so further accesses by that context fault without translation. Each handled
 * fault is reported as `MmuFaultHandled`, with the VM when one was bound.
 *
 * The scheduler is told (`panthor_sched_report_mmu_fault`: an immediate tick, whose
 * `tick_ctx_init` marks every queue of the VM's groups fatal).
 *
 * Simplified: the handler runs once per assertion and reads STAT once (panthor loops while
 * RAWSTAT & mask is non-zero).
 */
import { exceptionName } from "../../../shared/gpu/exceptions.ts";
import { asRegister, decodeAsFaultStatus, MMU_CONTROL } from "../../../shared/gpu/registers.ts";
import { emit, mutexLock, mutexUnlock, readl, writel, type KTask } from "../ktask.ts";
import { asDisable, mmuIrqMask, writeMmuIrqMask } from "./asSlots.ts";
import type { DriverState } from "./driverState.ts";
import { MmuFaultHandled } from "./uapiEvents.ts";
import { uapiPaths } from "./uapiPaths.ts";
import { declareUnusable } from "./vmPool.ts";

/** Handle the faults pending in MMU_INT_STAT. */
export function* mmuIrqHandler(d: DriverState): KTask<void> {
  const stat = (yield* readl(MMU_CONTROL.MMU_INT_STAT)) & 0xffff;
  for (let as = 0; as < 16; as++) {
    const bit = 1 << as;
    if ((stat & bit) === 0) continue;
    const faultStatus = yield* readl(asRegister(as, "FAULTSTATUS"));
    const lo = yield* readl(asRegister(as, "FAULTADDRESS_LO"));
    const hi = yield* readl(asRegister(as, "FAULTADDRESS_HI"));
    yield* mutexLock(d.mmLock);
    d.faultyMask |= bit;
    yield* writel(MMU_CONTROL.MMU_INT_CLEAR, bit);
    yield* writeMmuIrqMask(mmuIrqMask(d.dev.info.as_present, d.faultyMask));
    const vm = d.asSlots.get(as);
    if (vm !== undefined) {
      vm.unhandledFault = true;
      declareUnusable(vm);
      // panthor_sched_report_mmu_fault(): a tick marks the VM's groups fatal and terminates them.
      if (d.sched !== undefined) d.sched.tickRequested = true;
    }
    yield* asDisable(as);
    yield* mutexUnlock(d.mmLock);
    const type = decodeAsFaultStatus(faultStatus).exceptionType;
    yield* emit(MmuFaultHandled, uapiPaths(d.dev.gpu).vmState, {
      as, faultStatus, faultAddress: hi * 2 ** 32 + lo, exceptionName: exceptionName(type), ...(vm !== undefined && { file: vm.file, vmId: vm.id }),
    });
  }
}
