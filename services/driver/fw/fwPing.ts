/**
 * The firmware watchdog, `panthor_fw_ping_work()` (panthor.md §3.4): every 12 s of virtual time
 * (armed by `panthor_fw_init_global_iface()`, so at boot and after every resume or reset) toggle
 * GLB_PING, ring the global doorbell and wait 100 ms for the acknowledge; a miss is "FW ping
 * timeout, scheduling a reset" (`FwPingTimedOut`, then `panthor_device_schedule_reset()`), a
 * success re-arms the work.
 *
 * No ping while a reset is pending or running, nor while runtime-suspended: panthor cancels the
 * work in `panthor_fw_pre_reset()` (which suspend runs too) — here the due work finds the device
 * not ACTIVE and stays cancelled until the resume re-arms it. While it waits for the acknowledge
 * it holds a runtime-PM reference (`pm_runtime_get_if_active()`), so the GPU cannot suspend under
 * a ping in flight.
 */
import { GLB } from "../../firmware/interfaceBits.ts";
import { emit, waitEvent, type KTask } from "../ktask.ts";
import { scheduleReset, resetBlocksFirmware } from "../reset/resetCtl.ts";
import { FwPingTimedOut, resetPaths } from "../reset/resetEvents.ts";
import type { KernelCtx } from "../uapi/ioctlContext.ts";
import { PING_INTERVAL_NS } from "./fwBoot.ts";
import { FW_ACK_TIMEOUT_NS, glbReqAck, glbToggleReqs, ringGlbDoorbell, waitGlbAcks } from "./fwIface.ts";

/** The ping work as a kernel task, for the device's lifetime (see the module comment). */
export function* fwPingWork(kc: KernelCtx): KTask<void> {
  const fw = kc.d.fw!;
  const dog = fw.watchdog;
  for (;;) {
    const due = dog.nextPingNs;
    const timeout = due === undefined ? Number.POSITIVE_INFINITY : Math.max(0, due - kc.now());
    const rearmed = yield* waitEvent(() => (dog.nextPingNs !== due ? true : undefined), timeout);
    if (rearmed === true) continue;
    dog.nextPingNs = undefined;
    if (resetBlocksFirmware(kc.d)) continue;
    const pm = kc.d.sched?.pm;
    if (pm !== undefined && !pm.getIfActive()) continue;
    yield* ping(kc);
    pm?.putAutosuspend();
  }
}

/** One ping: acknowledged → re-armed; missed → reported and a reset scheduled. */
function* ping(kc: KernelCtx): KTask<void> {
  const fw = kc.d.fw!;
  yield* glbToggleReqs(fw, GLB.PING);
  yield* ringGlbDoorbell();
  if (yield* waitGlbAcks(fw, GLB.PING)) {
    fw.watchdog.pings++;
    if (fw.watchdog.nextPingNs === undefined) fw.watchdog.nextPingNs = kc.now() + PING_INTERVAL_NS;
    return;
  }
  const { req, ack } = glbReqAck(fw);
  yield* emit(FwPingTimedOut, resetPaths(kc.d.dev.gpu).watchdog, { req, ack, waitedNs: FW_ACK_TIMEOUT_NS });
  yield* scheduleReset(kc, "fw-ping-timeout", "FW ping timeout, scheduling a reset");
}
