/**
 * The firmware's part of a device reset (panthor.md §3.8): `panthor_fw_pre_reset(ptdev, on_hang
 * = true)` — the ping work cancelled, no halt asked of a firmware that hangs (a slow reset follows),
 * the job interrupt masked — and the slow path of `panthor_fw_post_reset()`: the MCU VM's AS0
 * programmed again (the reset wiped it), the GLB_HALT request cleared (and an unanswered GLB_PING
 * withdrawn), every section reloaded
 * from the cached image (`panthor_reload_fw_sections(ptdev, true)`), `panthor_fw_start()` (1000 ms
 * for GLOBAL_IF) and `panthor_fw_init_global_iface()` (which re-arms the watchdog).
 *
 * Simplified: the request words of the host's CSG and CS input blocks (and the doorbell and IRQ
 * acknowledge words) are zeroed before the restart, so no request left from before the reset
 * reads as pending against the reloaded firmware's zeroed acknowledges; panthor relies on the
 * reloaded firmware re-initialising its view instead.
 */
import { ERRNO } from "../../../shared/gpu/errno.ts";
import { GPU_COHERENCY, JOB_CONTROL as J } from "../../../shared/gpu/registers.ts";
import { initialOppOf } from "../../power/powerConfig.ts";
import { GLB } from "../../firmware/interfaceBits.ts";
import { CSG_INPUT, CS_INPUT, GLB_INPUT } from "../../firmware/interfaces.ts";
import { updateReqs } from "../../firmware/reqAck.ts";
import { mutexLock, mutexUnlock, writel, type KTask } from "../ktask.ts";
import { asEnable } from "../uapi/asSlots.ts";
import type { KernelCtx } from "../uapi/ioctlContext.ts";
import { kernelBoWrite } from "../uapi/kernelBo.ts";
import { initGlobalIface, panthorFwStart } from "./fwBoot.ts";
import { glbReqAck, ifaces } from "./fwIface.ts";

/** `panthor_fw_pre_reset(ptdev, true)`: see the module comment. */
export function* fwPreReset(kc: KernelCtx): KTask<void> {
  const fw = kc.d.fw!;
  fw.watchdog.nextPingNs = undefined;
  yield* writel(J.JOB_INT_MASK, 0);
}

/** `panthor_fw_post_reset()` after a hang (slow reset): 0, or -errno with the kernel's message. */
export function* fwPostReset(kc: KernelCtx): KTask<{ readonly errno: number; readonly detail: string }> {
  const d = kc.d;
  const fw = d.fw!;
  const mcuVm = d.mcuVm!;
  yield* mutexLock(d.mmLock);
  const as = yield* asEnable(0, mcuVm.pt, d.vaBits, d.dev.info.selected_coherency !== GPU_COHERENCY.NONE);
  mcuVm.as = 0;
  mcuVm.asActiveCnt = 1;
  yield* mutexUnlock(d.mmLock);
  if (as !== 0) return { errno: as, detail: "AS_ACTIVE bit stuck on AS0" };
  const i = ifaces(fw);
  // The HALT request cleared (the firmware acts on its 0 → 1 edge) and the ping that went unanswered withdrawn.
  yield* fw.shared.write(i.glb.input, GLB_INPUT, { req: updateReqs(glbReqAck(fw).req, 0, (GLB.HALT | GLB.PING) >>> 0), doorbell_req: 0 });
  for (const csg of i.csg) {
    yield* fw.shared.write(csg.input, CSG_INPUT, { req: 0, doorbell_req: 0, cs_irq_ack: 0 });
    for (const cs of csg.cs) yield* fw.shared.write(cs.input, CS_INPUT, { req: 0 });
  }
  for (const s of fw.sections) if (s.data.length > 0) yield* kernelBoWrite(d, s.bo, 0, s.data);
  const started = yield* panthorFwStart(fw);
  if (!started.ok) return { errno: -ERRNO.ETIMEDOUT, detail: `Failed to boot MCU after reset, making device unusable (status=${started.status})` };
  const clocks = { shaderPresent: d.dev.info.shader_present, timerHz: d.model.timestamp_frequency_hz, gpuHz: initialOppOf(d.model.opp_table).hz };
  if (!(yield* initGlobalIface(fw, clocks))) return { errno: -ERRNO.ETIMEDOUT, detail: "GLB request not acknowledged within 100 ms after reset" };
  return { errno: 0, detail: "firmware sections reloaded, MCU booted, global interface initialised" };
}
