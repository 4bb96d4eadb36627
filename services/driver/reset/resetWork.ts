/**
 * `panthor_device_reset_work()` (panthor.md §4.8) as a kernel task, each step reported with its
 * outcome (`ResetStepDone`):
 *
 * 1. a runtime-PM reference (`pm_runtime_resume_and_get()`: the reset needs a powered GPU);
 * 2. `panthor_sched_pre_reset()` — resident groups suspended or terminated, guilty and innocent
 *    judged (`schedReset.ts`);
 * 3. `panthor_fw_pre_reset(ptdev, true)` — watchdog cancelled, job IRQ masked (`fw/fwReset.ts`);
 * 4. `panthor_mmu_pre_reset()` — every AS disabled and released, the MMU IRQ masked;
 * 5. `panthor_gpu_soft_reset()` — GPU_CMD SOFT_RESET, RESET_COMPLETED polled for 100 ms;
 * 6. `panthor_gpu_l2_power_on()` — COHERENCY_ENABLE, L2 on (polled, 20 ms);
 * 7. `panthor_mmu_post_reset()` — faults forgotten, the MMU IRQ unmasked (VMs get an AS again
 *    on their next activation);
 * 8. `panthor_fw_post_reset()` — AS0, the sections reloaded, the MCU booted, GLB initialised;
 * 9. `reset.pending` cleared, `panthor_sched_post_reset()` — innocent groups resumed.
 *
 * A step that fails ends the reset in a reported fatal state: `DeviceResetFailed` with the step
 * and errno ("Failed to boot MCU after reset, making device unusable"), the device marked
 * unusable and every remaining group terminated with its fences failed.
 *
 * Simplified: `panthor_mmu_pre_reset()` disables the ASes itself (panthor leaves that to the
 * reset and only forgets the bindings after it); the VM_BIND queues are not stopped (they only
 * write page tables in RAM); an unusable device still answers ioctls (panthor: -ENODEV), but
 * every group is dead and new ones never get a slot.
 */
import { GPU_CONTROL as R } from "../../../shared/gpu/registers.ts";
import { emit, writel, type KTask } from "../ktask.ts";
import { fwPostReset, fwPreReset } from "../fw/fwReset.ts";
import { BLOCKS, blockPowerOn, gpuSoftReset } from "../pm/gpuPower.ts";
import { mmuResume, mmuSuspend } from "../pm/mmuPm.ts";
import type { KernelCtx } from "../uapi/ioctlContext.ts";
import { resetCtl } from "./resetCtl.ts";
import { DeviceResetCompleted, DeviceResetFailed, ResetStepDone, resetPaths, type ResetStep } from "./resetEvents.ts";
import { schedPostReset, schedPreReset } from "./schedReset.ts";

/** The reset work (see the module comment). */
export function* deviceResetWork(kc: KernelCtx): KTask<void> {
  const d = kc.d;
  const ctl = resetCtl(d);
  const path = resetPaths(d.dev.gpu).reset;
  const reason = ctl.reason;
  const t0 = kc.now();
  const step = (s: ResetStep, errno: number, detail: string) => emit(ResetStepDone, path, { step: s, errno, detail });
  const pm = d.sched?.pm;

  function* fail(s: ResetStep, errno: number, detail: string): KTask<void> {
    yield* step(s, errno, detail);
    ctl.unusable = true;
    ctl.pending = false;
    ctl.failed++;
    yield* emit(DeviceResetFailed, path, { reason, step: s, errno, detail });
    if (d.sched !== undefined) yield* schedPostReset(kc, true);
  }

  if (pm !== undefined) {
    const r = yield* pm.resumeAndGet();
    if (r !== 0) return yield* fail("sched-pre-reset", r, "the GPU could not be resumed for the reset");
  }
  try {
    const tally = yield* schedPreReset(kc);
    yield* step("sched-pre-reset", 0, `groups suspended: ${tally.guilty} guilty, ${tally.resumed} innocent to resume, ${tally.lost} innocent lost`);
    yield* fwPreReset(kc);
    yield* step("fw-pre-reset", 0, "ping work cancelled, job IRQ masked (hang: slow reset, no halt)");
    yield* mmuSuspend(d);
    yield* step("mmu-pre-reset", 0, "address spaces disabled and released, MMU IRQ masked");
    const reset = yield* gpuSoftReset();
    if (reset !== 0) return yield* fail("soft-reset", reset, "Soft reset timeout: RESET_COMPLETED not raised within 100 ms");
    yield* step("soft-reset", 0, "GPU_CMD SOFT_RESET, RESET_COMPLETED");
    yield* writel(R.GPU_COHERENCY_PROTOCOL, d.dev.info.selected_coherency);
    const l2 = yield* blockPowerOn(BLOCKS.l2, 1);
    if (l2 !== 0) return yield* fail("l2-power", l2, "timeout waiting on L2:1 power transition");
    yield* step("l2-power", 0, "L2_READY=1");
    yield* mmuResume(d);
    yield* step("mmu-post-reset", 0, "AS faults forgotten, MMU IRQ unmasked");
    const fw = yield* fwPostReset(kc);
    if (fw.errno !== 0) return yield* fail("fw-post-reset", fw.errno, fw.detail);
    yield* step("fw-post-reset", 0, fw.detail);
    ctl.pending = false;
    yield* schedPostReset(kc, false);
    yield* step("sched-post-reset", 0, "innocent groups with work rescheduled, sync objects re-read");
    ctl.completed++;
    yield* emit(DeviceResetCompleted, path, { reason, durationNs: kc.now() - t0, ...tally });
  } finally {
    if (pm !== undefined) {
      pm.markLastBusy();
      pm.putAutosuspend();
    }
  }
}
