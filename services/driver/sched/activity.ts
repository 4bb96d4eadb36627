/**
 * What the power policy (`services/driver/pm/`) needs from the submission side, and the
 * submission side's own runtime-PM calls — the contract of `pm/pmHooks.ts`:
 *
 * - **Busy / idle.** The GPU is busy while any group has a job on its ring. {@link gpuBusy}
 *   answers it at any time; {@link noteActivity} (run by the scheduler after every tick and every
 *   batch of job effects) publishes `GpuActivityChanged {busy, inFlight}` on each change and, like
 *   panthor's `sched->pm.has_ref`, holds one runtime-PM reference while busy
 *   (`pm_runtime_get()` on the way up, `pm_runtime_mark_last_busy()` +
 *   `pm_runtime_put_autosuspend()` on the way down). The tick takes its own reference around its
 *   work (`pm_runtime_resume_and_get()`), so it never touches a suspended firmware.
 * - **Suspend / resume hooks** ({@link createPmDevice}, a `PmDevice`): `panthor_sched_suspend()`
 *   (every resident group SUSPENDed, or TERMINATEd when it cannot run; a slot that does not answer
 *   in 100 ms has its group killed, TIMEDOUT and INNOCENT if it could still run), `panthor_fw_suspend()`
 *   (GLB_HALT, MCU_STATUS polled for HALT ≤ 100 ms, job IRQ masked), `panthor_fw_resume()` (AS0
 *   again; fast: MCU_CONTROL = AUTO restarts the halted MCU; slow: sections reloaded and a cold
 *   boot; then the global interface) and `panthor_sched_resume()` (an immediate tick).
 * - {@link attachSubmissionSide} plugs both into the driver's `RuntimePm` once the device is up.
 *
 * Simplified: `panthor_fw_stop()` (MCU_CONTROL = DISABLE) is not issued after a clean halt — the
 * firmware model restarts fast only from HALT; no cache flush after the suspend (no caches).
 */
import { JOB_CONTROL as J, GPU_CONTROL as G, GPU_COHERENCY } from "../../../shared/gpu/registers.ts";
import { MCU_STATUS } from "../../../shared/gpu/registerFields.ts";
import { ERRNO } from "../../../shared/gpu/errno.ts";
import { CSG, GLB } from "../../firmware/interfaceBits.ts";
import { emit, mutexLock, mutexUnlock, readPollTimeout, writel, type KTask } from "../ktask.ts";
import { glbToggleReqs, ringCsgDoorbells, ringGlbDoorbell, waitCsgAcks } from "../fw/fwIface.ts";
import { initGlobalIface, panthorFwStart } from "../fw/fwBoot.ts";
import type { PmDevice, RuntimePm } from "../pm/pmHooks.ts";
import { initialOppOf } from "../../power/powerConfig.ts";
import { asEnable } from "../uapi/asSlots.ts";
import type { DriverState } from "../uapi/driverState.ts";
import type { KernelCtx } from "../uapi/ioctlContext.ts";
import { kernelBoWrite } from "../uapi/kernelBo.ts";
import { csgRequestState } from "./csgProg.ts";
import { groupCanRun } from "./groupLifecycle.ts";
import { groupTransition, terminateGroup, unbindGroup } from "./groupTerm.ts";
import { GpuActivityChanged, schedPaths } from "./schedEvents.ts";
import { hasWork, requestTick } from "./schedKick.ts";

const US = 1_000;
const MS = 1_000_000;

/** Whether any group has a job on its ring (the GPU has work). */
export function gpuBusy(d: DriverState): boolean {
  return d.sched?.groups.some(hasWork) ?? false;
}

/** Jobs on rings across the device. */
function inFlight(d: DriverState): number {
  return d.sched?.groups.reduce((n, g) => n + g.queues.reduce((m, q) => m + q.onRing.length, 0), 0) ?? 0;
}

/** Publish a busy/idle change and keep the scheduler's runtime-PM reference in step with it. */
export function* noteActivity(kc: KernelCtx): KTask<void> {
  const sched = kc.d.sched;
  if (sched === undefined) return;
  const busy = gpuBusy(kc.d);
  if (busy === sched.busy) return;
  sched.busy = busy;
  if (sched.pm !== undefined) {
    if (busy) sched.pm.get();
    else {
      sched.pm.markLastBusy();
      sched.pm.putAutosuspend();
    }
  }
  yield* emit(GpuActivityChanged, schedPaths(kc.d.dev.gpu).tick, { busy, inFlight: inFlight(kc.d) });
}

/** `panthor_sched_suspend()` (see the module comment). */
function* schedSuspend(kc: KernelCtx): KTask<void> {
  const sched = kc.d.sched!;
  const fw = kc.d.fw!;
  yield* mutexLock(sched.lock);
  const resident = sched.slots.flatMap((s) => (s.group === undefined ? [] : [s.group]));
  let mask = 0;
  for (const g of resident) {
    yield* csgRequestState(fw, g.csgId!, groupCanRun(g) ? CSG.STATE_SUSPEND : CSG.STATE_TERMINATE);
    mask |= 1 << g.csgId!;
  }
  if (mask !== 0) yield* ringCsgDoorbells(fw, mask);
  for (const g of resident) {
    const ok = yield* waitCsgAcks(fw, g.csgId!, CSG.STATE_MASK);
    const couldRun = groupCanRun(g);
    if (ok && couldRun) yield* groupTransition(kc, g, "suspended", "runtime suspend");
    if (!ok) {
      g.innocent = couldRun;
      g.timedout = true;
    }
    unbindGroup(kc, g);
    if (!ok || !couldRun) yield* terminateGroup(kc, g, ok ? "terminated at suspend" : "suspend not acknowledged");
  }
  sched.nextTickNs = undefined;
  yield* mutexUnlock(sched.lock);
}

/** `panthor_fw_suspend()`: true when the MCU halted cleanly. */
function* fwSuspend(kc: KernelCtx): KTask<boolean> {
  const fw = kc.d.fw!;
  yield* glbToggleReqs(fw, GLB.HALT);
  yield* ringGlbDoorbell();
  const halted = yield* readPollTimeout(G.MCU_STATUS, (v) => v === MCU_STATUS.HALT, 10 * US, 100 * MS);
  yield* writel(J.JOB_INT_MASK, 0);
  return halted.ok;
}

/** `panthor_fw_resume()` → `panthor_fw_post_reset()`: 0 or -ETIMEDOUT. */
function* fwResume(kc: KernelCtx, fast: boolean): KTask<number> {
  const d = kc.d;
  const fw = d.fw!;
  const mcuVm = d.mcuVm!;
  yield* mutexLock(d.mmLock);
  yield* asEnable(0, mcuVm.pt, d.vaBits, d.dev.info.selected_coherency !== GPU_COHERENCY.NONE);
  yield* mutexUnlock(d.mmLock);
  // The HALT request bit back to its acknowledged value: the firmware acts on 0 → 1 edges.
  yield* glbToggleReqs(fw, GLB.HALT);
  if (!fast) for (const s of fw.sections) if (s.data.length > 0) yield* kernelBoWrite(d, s.bo, 0, s.data);
  const started = yield* panthorFwStart(fw);
  if (!started.ok) return -ERRNO.ETIMEDOUT;
  const clocks = { shaderPresent: d.dev.info.shader_present, timerHz: d.model.timestamp_frequency_hz, gpuHz: initialOppOf(d.model.opp_table).hz };
  return (yield* initGlobalIface(fw, clocks)) ? 0 : -ERRNO.ETIMEDOUT;
}

/** `panthor_sched_resume()`: an immediate tick (groups with work get their slots back). */
function* schedResume(kc: KernelCtx): KTask<void> {
  requestTick(kc);
  yield* noteActivity(kc);
}

/** The `PmDevice` hooks of this device's submission side. */
export function createPmDevice(kc: KernelCtx): PmDevice {
  return {
    isIdle: () => !gpuBusy(kc.d),
    schedSuspend: () => schedSuspend(kc),
    fwSuspend: () => fwSuspend(kc),
    fwResume: (fast) => fwResume(kc, fast),
    schedResume: () => schedResume(kc),
  };
}

/** Plug the scheduler into runtime PM: its reference while busy, and the suspend/resume hooks. */
export function attachSubmissionSide(d: DriverState, pm: RuntimePm): void {
  const sched = d.sched;
  if (sched === undefined) return;
  sched.pm = pm;
  pm.attachDevice(createPmDevice(sched.kc));
  if (sched.busy) pm.get();
}
