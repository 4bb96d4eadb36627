/**
 * The probe's firmware step, `panthor_fw_init` (panthor.md §3.7): the MCU VM, the image's
 * sections loaded and mapped, AS0 programmed for the MCU, the job IRQ requested, the MCU started
 * (1000 ms for GLOBAL_IF), the interfaces read and checked, the global interface initialised
 * (100 ms for the acks). Each piece set up registers its undo with the probe, so a failure
 * unwinds in reverse like every other probe step.
 *
 * Simplified: `panthor_gpu_l2_power_on()` is not repeated (the probe's L2 step did it); AS0 is
 * bound for good (`panthor_vm_active` on the MCU VM, never idled).
 */
import { ERRNO } from "../../../shared/gpu/errno.ts";
import { GPU_COHERENCY, JOB_CONTROL as J } from "../../../shared/gpu/registers.ts";
import { initialOppOf } from "../../power/powerConfig.ts";
import type { GpuModel } from "../../../shared/gpu/model.ts";
import { freePageTable } from "../../mmu/pageTable.ts";
import type { IrqLines } from "../irqLines.ts";
import { mutexLock, mutexUnlock, writel, type KTask } from "../ktask.ts";
import { asDisable, asEnable } from "../uapi/asSlots.ts";
import type { KernelCtx } from "../uapi/ioctlContext.ts";
import { KernelMap } from "../uapi/kernelMap.ts";
import { initGlobalIface, panthorFwStart, panthorFwStop, readInterfaces } from "./fwBoot.ts";
import { createMcuVm, loadFirmwareSections, unloadFirmwareSections } from "./fwLoad.ts";
import type { FwDevice } from "./fwTypes.ts";
import { fwPingWork } from "./fwPing.ts";
import { jobIrqHandler } from "./jobIrq.ts";

/** A failure of the step: errno and the kernel's message. */
export interface FwInitFailure {
  readonly errno: number;
  readonly detail: string;
}

/** Register an undo with the probe (run in reverse order after a later failure). */
export type PushUndo = (what: string, run: () => KTask<void>) => void;

/** `panthor_fw_init`: the booted firmware (also left in `kc.d.fw`), or why it failed. */
export function* panthorFwInit(kc: KernelCtx, model: GpuModel, irqs: IrqLines, undo: PushUndo): KTask<FwDevice | FwInitFailure> {
  const d = kc.d;
  const mcuVm = yield* createMcuVm(d);
  d.mcuVm = mcuVm;
  undo("MCU VM freed", function* () {
    yield* mutexLock(d.mmLock);
    freePageTable(mcuVm.pt);
    d.mcuVm = undefined;
    yield* mutexUnlock(d.mmLock);
  });
  const loaded = yield* loadFirmwareSections(d, mcuVm, model);
  if ("errno" in loaded) return loaded;
  undo("firmware sections unmapped and freed", () => unloadFirmwareSections(d, loaded.sections));
  const shared = loaded.sections.find((s) => s.shared);
  if (shared === undefined) return { errno: -ERRNO.EINVAL, detail: "Shared interface region not found" };
  const fw: FwDevice = { sections: loaded.sections, shared: new KernelMap(d, shared.bo), gitSha: loaded.gitSha, ifaces: undefined, booted: false, watchdog: { nextPingNs: undefined, pings: 0 } };
  d.fw = fw;
  // AS0 is the MCU's for good (panthor_vm_active on the FW VM, never idled).
  yield* mutexLock(d.mmLock);
  const asRet = yield* asEnable(0, mcuVm.pt, d.vaBits, d.dev.info.selected_coherency !== GPU_COHERENCY.NONE);
  mcuVm.as = 0;
  mcuVm.asActiveCnt = 1;
  yield* mutexUnlock(d.mmLock);
  undo("AS0 disabled", function* () {
    yield* asDisable(0);
    mcuVm.as = undefined;
  });
  if (asRet !== 0) return { errno: asRet, detail: "AS_ACTIVE bit stuck on AS0" };
  irqs.request("job", () => jobIrqHandler(kc));
  undo("JOB_INT_MASK=0, job IRQ freed", function* () {
    yield* writel(J.JOB_INT_MASK, 0);
    irqs.free("job");
    d.fw = undefined;
  });
  const start = yield* panthorFwStart(fw);
  undo("MCU_CONTROL=DISABLE", () => panthorFwStop());
  if (!start.ok) return { errno: -ERRNO.ETIMEDOUT, detail: `Failed to boot MCU (status=${start.status})` };
  const found = readInterfaces(fw);
  if (!found.ok) return { errno: -found.error.errno, detail: found.error.message };
  fw.ifaces = found.value;
  const clocks = { shaderPresent: d.dev.info.shader_present, timerHz: model.timestamp_frequency_hz, gpuHz: initialOppOf(model.opp_table).hz };
  if (!(yield* initGlobalIface(fw, clocks))) return { errno: -ERRNO.ETIMEDOUT, detail: "GLB request not acknowledged within 100 ms" };
  kc.spawn("fw-ping", fwPingWork(kc));
  return fw;
}

/** The step's summary for `ProbeStepCompleted`. */
export function fwInitDetail(fw: FwDevice): string {
  const i = fw.ifaces!;
  const v = i.version;
  const shared = fw.sections.find((s) => s.shared)!;
  return `CSF FW using interface v${v.major}.${v.minor}.${v.patch}, ${i.csg.length} CSG × ${i.csg[0]!.cs.length} CS, `
    + `shared 0x${shared.va.start.toString(16)}+0x${(shared.va.end - shared.va.start).toString(16)}${fw.gitSha !== undefined ? `, git sha ${fw.gitSha}` : ""}`;
}
