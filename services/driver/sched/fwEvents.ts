/**
 * Firmware events the job IRQ reports (`panthor_sched_report_fw_events` → `process_fw_events_work`,
 * panthor.md §4.4), processed in the IRQ's kernel task:
 *
 * - GLOBAL_IF: GLB events acknowledged (`req` takes the `ack` bits); GLB IDLE asks for a tick.
 * - CSG_IF(n): CSG events acknowledged; SYNC_UPDATE → `group_sync_upd_work` for every group with
 *   jobs on its rings (fences signalled);
 *   IDLE → the slot is idle, a tick if groups wait for a slot; PROGRESS_TIMER_EVENT → the group
 *   timed out, a tick terminates it. Then the per-CS events flagged in `cs_irq_req ^ cs_irq_ack`:
 *   CS_FATAL → the queue is fatal (the group is terminated at the next tick; CS_UNRECOVERABLE
 *   also schedules a GPU reset); CS_FAULT → the job
 *   whose ring range holds CS_EXTRACT gets -EINVAL; CS_TILER_OOM → the tiler heap grows
 *   (`tilerHeap.ts`). CS events are acknowledged in CS_REQ, `cs_irq_ack` catches up, and the
 *   CSG's doorbell bit is rung so the firmware sees the acknowledges.
 */
import { EXCEPTION, exceptionName } from "../../../shared/gpu/exceptions.ts";
import { JOB_INT_GLOBAL_IF } from "../../../shared/gpu/registerFields.ts";
import { CS, CSG, GLB } from "../../firmware/interfaceBits.ts";
import { CSG_INPUT, CSG_OUTPUT, CS_OUTPUT, RINGBUF_OUTPUT } from "../../firmware/interfaces.ts";
import { emit, type KTask } from "../ktask.ts";
import { csgIface, csgReqAck, csgUpdateReqs, csIface, csReqAck, csUpdateReqs, glbReqAck, glbUpdateReqs, ringCsgDoorbells } from "../fw/fwIface.ts";
import type { KernelCtx } from "../uapi/ioctlContext.ts";
import { groupSyncUpdate } from "./jobFlow.ts";
import { QueueFaultReported, schedPaths } from "./schedEvents.ts";
import { hasWork, requestTick } from "./schedKick.ts";
import type { PanthorGroup } from "./schedTypes.ts";
import { tilerOom } from "./tilerOom.ts";
import { scheduleReset } from "../reset/resetCtl.ts";

const ERRNO_EINVAL = -22;

/** GLB events (see the module comment). */
function* processGlb(kc: KernelCtx): KTask<void> {
  const fw = kc.d.fw!;
  const { req, ack } = glbReqAck(fw);
  const evts = ((req ^ ack) & GLB.EVT_MASK) >>> 0;
  if (evts === 0) return;
  yield* glbUpdateReqs(fw, ack, evts);
  if ((evts & GLB.IDLE) !== 0) requestTick(kc);
}

/** One CS's events (`cs_slot_process_*_event_locked`); true when something was acknowledged. */
function* processCs(kc: KernelCtx, csg: number, cs: number, g: PanthorGroup | undefined): KTask<boolean> {
  const fw = kc.d.fw!;
  const { req, ack } = csReqAck(fw, csg, cs);
  const evts = ((req ^ ack) & CS.EVT_MASK) >>> 0;
  if (evts === 0) return false;
  const out = csIface(fw, csg, cs).output;
  const q = g?.queues[cs];
  if ((evts & CS.FATAL) !== 0 && g !== undefined) {
    const fatal = fw.shared.field(out, CS_OUTPUT, "fatal");
    g.fatalQueues |= 1 << cs;
    yield* emit(QueueFaultReported, schedPaths(kc.d.dev.gpu).group, {
      file: g.file, group: g.handle, queue: cs, fatal: true, exceptionType: fatal & 0xff, exceptionName: exceptionName(fatal & 0xff), info: fw.shared.field(out, CS_OUTPUT, "fatal_info"),
    });
    requestTick(kc);
    if ((fatal & 0xff) === EXCEPTION.CS_UNRECOVERABLE) {
      yield* scheduleReset(kc, "cs-unrecoverable", `CS_FATAL CS_UNRECOVERABLE on queue ${cs} of group ${g.handle}`, { file: g.file, group: g.handle });
    }
  }
  if ((evts & CS.FAULT) !== 0 && g !== undefined && q !== undefined) {
    const fault = fw.shared.field(out, CS_OUTPUT, "fault");
    const extract = q.iface.field(q.iface.bo.va + 4096, RINGBUF_OUTPUT, "extract");
    const job = q.onRing.find((j) => j.start <= extract && extract < j.end);
    if (job !== undefined) job.error = ERRNO_EINVAL;
    yield* emit(QueueFaultReported, schedPaths(kc.d.dev.gpu).group, {
      file: g.file, group: g.handle, queue: cs, fatal: false, exceptionType: fault & 0xff, exceptionName: exceptionName(fault & 0xff),
      info: fw.shared.field(out, CS_OUTPUT, "fault_info"), ...(job !== undefined && { job: job.id }),
    });
  }
  if ((evts & CS.TILER_OOM) !== 0) yield* tilerOom(kc, csg, cs, g);
  yield* csUpdateReqs(fw, csg, cs, ack, evts);
  return true;
}

/** One CSG's events and its streams' (see the module comment). */
function* processCsg(kc: KernelCtx, csg: number): KTask<void> {
  const fw = kc.d.fw!;
  const sched = kc.d.sched!;
  const slot = sched.slots[csg];
  const g = slot?.group;
  const { req, ack } = csgReqAck(fw, csg);
  const evts = ((req ^ ack) & CSG.EVT_MASK) >>> 0;
  if (evts !== 0) yield* csgUpdateReqs(fw, csg, ack, evts);
  // Every group with jobs on its rings: a group evicted since the SYNC_ADD must not miss its update.
  if ((evts & CSG.SYNC_UPDATE) !== 0) for (const w of sched.groups) if (hasWork(w)) groupSyncUpdate(kc, w);
  if ((evts & CSG.IDLE) !== 0 && slot !== undefined) {
    slot.idle = true;
    if (sched.groups.some((w) => w.csgId === undefined && hasWork(w))) requestTick(kc);
  }
  if ((evts & CSG.PROGRESS_TIMER_EVENT) !== 0 && g !== undefined) {
    g.timedout = true;
    requestTick(kc);
  }
  const iface = csgIface(fw, csg);
  const irqReq = fw.shared.field(iface.output, CSG_OUTPUT, "cs_irq_req");
  const irqAck = fw.shared.field(iface.input, CSG_INPUT, "cs_irq_ack");
  const pending = (irqReq ^ irqAck) >>> 0;
  if (pending === 0) return;
  let acked = false;
  for (let cs = 0; cs < iface.cs.length; cs++) if ((pending & (1 << cs)) !== 0) acked = (yield* processCs(kc, csg, cs, g)) || acked;
  yield* fw.shared.write(iface.input, CSG_INPUT, { cs_irq_ack: irqReq });
  if (acked) {
    yield* fw.shared.write(iface.input, CSG_INPUT, { doorbell_req: (fw.shared.field(iface.input, CSG_INPUT, "doorbell_req") ^ pending) >>> 0 });
    yield* ringCsgDoorbells(fw, 1 << csg);
  }
}

/** `panthor_sched_report_fw_events(ptdev, events)` with the work done at once. */
export function* reportFwEvents(kc: KernelCtx, events: number): KTask<void> {
  if ((events & JOB_INT_GLOBAL_IF) !== 0) yield* processGlb(kc);
  if (kc.d.sched === undefined) return;
  const slots = kc.d.sched.slots.length;
  for (let csg = 0; csg < slots; csg++) if ((events & (1 << csg)) !== 0) yield* processCsg(kc, csg);
}
