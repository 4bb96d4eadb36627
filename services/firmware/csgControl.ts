import { hostMachine } from "../../shared/actor/hostedMachine.ts";
import { sendChecked } from "../../shared/actor/xstateHost.ts";
import { jobIntCsgIf } from "../../shared/gpu/registerFields.ts";
import { csIdle, refreshInsert, resetCs, scanCsRequests, withCs, writeCsOutput } from "./csControl.ts";
import { resume } from "./cs/interpreter.ts";
import { planCsgAcks, type CsgPlan, type CsgStateRequest } from "./csgRequests.ts";
import { createCsgSlotMachine, type CsgSlotState } from "./csgSlotMachine.ts";
import type { Firmware } from "./firmware.ts";
import { CsgEventRaised, CsgRequestsAcked, CsgStateChanged } from "./firmwareEvents.ts";
import { createCsSlot, type BootedImage, type CsSlot, type CsgSlot } from "./firmwareState.ts";
import { maybeRaiseGlbIdle } from "./glbControl.ts";
import { CSG, CSG_STATUS_STATE } from "./interfaceBits.ts";
import { encodeCsgOutput } from "./interfaceIo.ts";
import { CSG_INPUT } from "./interfaces.ts";
import { acknowledge, raiseEvents, requestsPending } from "./reqAck.ts";
import { discardSuspendBuffer, restoreFromSuspendBuffer, saveToSuspendBuffer } from "./suspendBuffers.ts";

/**
 * CSG slots as the firmware serves them (panthor.md §3.5; the host side is
 * `csg_slot_prog_locked()`, `tick_ctx_apply()`, `csg_slot_process_*_event_locked()`): the slot
 * machines, CSG_REQ acknowledgement with its state changes, the group's AS, priority and core
 * masks from the CSG input block, CSG events (IDLE, SYNC_UPDATE, PROGRESS_TIMER_EVENT) toggled
 * in CSG_ACK, per-CS interrupt requests in `cs_irq_req`, and JOB_INT CSG_IF(n).
 */

/** Whether the slot's group is running (not terminated or suspended). */
export function runningSlot(slot: CsgSlot): boolean {
  return typeof slot.machine.getSnapshot().value === "object";
}

/** The CSG slot machine definition of a firmware, built once (see `CsgSlotDeps`). */
export function csgSlotMachineOf(f: Firmware) {
  const slot = (self: unknown): CsgSlot => f.slots.find((s) => s.machine === self)!;
  return createCsgSlotMachine({
    entered: (i, state, request) => f.fw.batch(() => entered(f, slot(i), state, request)),
    idleReported: (i) => f.fw.batch(() => {
      const s = slot(i);
      s.out.statusState = (s.out.statusState | CSG_STATUS_STATE.IS_IDLE) >>> 0;
      s.idleReported = true;
      raiseCsgEvent(f, s, CSG.IDLE, "IDLE");
      maybeRaiseGlbIdle(f);
    }),
    busyAgain: (i) => f.fw.batch(() => {
      const s = slot(i);
      s.out.statusState = (s.out.statusState & ~CSG_STATUS_STATE.IS_IDLE) >>> 0;
      s.idleReported = false;
      f.glb.idleRaised = false;
      writeCsgOutput(f, s);
    }),
    progressTimedOut: (i) => f.fw.batch(() => raiseCsgEvent(f, slot(i), CSG.PROGRESS_TIMER_EVENT, "PROGRESS_TIMER_EVENT")),
    idleNs: () => f.glb.idleNs,
    progressNs: () => f.glb.progressNs,
  });
}

/** The CSG slots of a freshly booted image, each with its machine. */
export function createSlots(f: Firmware, image: BootedImage): CsgSlot[] {
  return image.layout.csg.map((blocks, index) => ({
    index, blocks, priority: 0, as: 0, computeCores: 0, fragmentCores: 0, jobsOutstanding: 0, idle: false, idleReported: false,
    out: { ack: 0, doorbellAck: 0, csIrqReq: 0, statusState: 0, endpointReq: 0 },
    cs: blocks.cs.map((b, j) => createCsSlot(index, j, b)),
    machine: hostMachine(f.fw.ctx, f.csgMachine, { id: `${f.fw.ctx.name}.csg${index}.b${f.bootSerial}` }),
  }));
}

/** The CSG input block as the host last wrote it. */
function readCsgInput(f: Firmware, slot: CsgSlot) {
  return f.fw.readInput(slot.blocks.input, CSG_INPUT);
}

/** Write the firmware's CSG output block. */
export function writeCsgOutput(f: Firmware, slot: CsgSlot): void {
  f.fw.writeBlock(slot.blocks.output, encodeCsgOutput(slot.out));
}

/** Serve a CSG slot whose bit the host toggled in GLB `doorbell_req`: CSG_REQ, then its streams' CS_REQ. */
export function processCsg(f: Firmware, slot: CsgSlot): void {
  const input = readCsgInput(f, slot);
  if (input === undefined) return;
  slot.priority = input.endpoint_req >>> 28;
  slot.as = input.config & 0xff;
  slot.computeCores = (input.allow_compute % 2 ** 32) >>> 0;
  slot.fragmentCores = (input.allow_fragment % 2 ** 32) >>> 0;
  slot.out.endpointReq = input.endpoint_req;
  const plan = drainBeforeTerminate(slot, planCsgAcks(input.req, slot.out.ack, input.ack_irq_mask), input.req);
  slot.out.ack = plan.ack;
  if (plan.state !== null) sendChecked(slot.machine, { type: "REQUEST", state: plan.state });
  for (const cs of slot.cs) scanCsRequests(f, slot, cs);
  // A resumed group picks up what the host queued while it was off its slot.
  if (plan.state === "RESUME" && runningSlot(slot)) for (const cs of slot.cs) if (cs.started) refreshInsert(f, slot, cs);
  if (plan.statusUpdate) for (const cs of slot.cs) writeCsOutput(f, cs, true);
  slot.out.doorbellAck = input.doorbell_req;
  writeCsgOutput(f, slot);
  if (plan.acked.length > 0) f.fw.fact(CsgRequestsAcked, f.fw.paths.csg(slot.index), { csg: slot.index, requests: [...plan.acked], ack: plan.ack, irq: plan.irq });
  if (plan.irq) f.fw.raiseIrq(jobIntCsgIf(slot.index));
  updateActivity(f, slot);
}

/**
 * A CSG TERMINATE waits for the group's jobs on the shader cores to drain: the endpoints must
 * finish (or fault) what they run before the slot can be torn down, so TERMINATE is left
 * unacknowledged while `jobsOutstanding` > 0 — a job hung on the cores keeps it pending forever,
 * which is what makes panthor reset the GPU after a job timeout (panthor.md §4.5). The other
 * requests of the scan are acknowledged as usual; {@link retryDeferredTerminate} finishes it.
 * Simplified: SUSPEND does not wait (the jobs stay in the saved context, `suspendBuffers.ts`).
 */
function drainBeforeTerminate(slot: CsgSlot, plan: CsgPlan, req: number): CsgPlan {
  if (plan.state !== "TERMINATE" || slot.jobsOutstanding === 0 || !runningSlot(slot)) return plan;
  const ack = acknowledge(req, slot.out.ack, (CSG.REQ_MASK & ~CSG.STATE_MASK) >>> 0);
  return { ...plan, ack, state: null, acked: plan.acked.filter((a) => a !== "STATE_TERMINATE") };
}

/** The slot's last job left the cores: a TERMINATE held back by {@link drainBeforeTerminate} is acknowledged now. */
export function retryDeferredTerminate(f: Firmware, slot: CsgSlot): void {
  const input = readCsgInput(f, slot);
  if (input === undefined || requestsPending(input.req, slot.out.ack, CSG.STATE_MASK) === 0) return;
  if ((input.req & CSG.STATE_MASK) === CSG.STATE_TERMINATE) processCsg(f, slot);
}

/** A slot machine changed state: load, keep or drop the group's streams. */
function entered(f: Firmware, slot: CsgSlot, state: CsgSlotState, request: CsgStateRequest): void {
  if (request === "SUSPEND") saveToSuspendBuffer(f, slot);
  else if (request === "RESUME") restoreFromSuspendBuffer(f, slot);
  else if (request === "START") discardSuspendBuffer(f, slot);
  if (request === "START" || state === "terminated") {
    for (const cs of slot.cs) resetCs(f, cs);
    for (const [job, rec] of f.jobs) if (rec.csg === slot.index) f.jobs.delete(job);
    slot.jobsOutstanding = 0;
  }
  slot.idle = false;
  slot.idleReported = false;
  if (state === "running") f.glb.idleRaised = false;
  slot.out.statusState = 0;
  f.fw.fact(CsgStateChanged, f.fw.paths.csgState(slot.index), { csg: slot.index, state, request, priority: slot.priority, as: slot.as });
}

/** The queue doorbell `d` (CSG slot d − 1 in panthor): every stream listening on it re-reads its ring and sync waits. */
export function queueDoorbell(f: Firmware, d: number): void {
  for (const slot of f.slots) {
    if (!runningSlot(slot)) continue;
    for (const cs of slot.cs) {
      if (!cs.started || cs.doorbell !== d) continue;
      scanCsRequests(f, slot, cs);
      refreshInsert(f, slot, cs);
      withCs(f, cs, () => {
        if (cs.state !== null) cs.state = resume(cs.state);
        cs.parked = false;
      });
    }
    updateActivity(f, slot);
  }
}

/** Toggle a CSG event in CSG_ACK; a newly raised one is reported and interrupts when in `ack_irq_mask`. */
export function raiseCsgEvent(f: Firmware, slot: CsgSlot, bit: number, event: "IDLE" | "SYNC_UPDATE" | "PROGRESS_TIMER_EVENT"): void {
  const input = readCsgInput(f, slot);
  if (input === undefined) return;
  const wasPending = requestsPending(input.req, slot.out.ack, bit) !== 0;
  slot.out.ack = raiseEvents(input.req, slot.out.ack, bit);
  writeCsgOutput(f, slot);
  if (wasPending) return;
  f.fw.fact(CsgEventRaised, f.fw.paths.csg(slot.index), { csg: slot.index, event });
  if ((input.ack_irq_mask & bit) !== 0) f.fw.raiseIrq(jobIntCsgIf(slot.index));
}

/** Signal a CS event to the host: its bit in `cs_irq_req` made to differ from `cs_irq_ack`, CSG_IF raised. */
export function csIrq(f: Firmware, slot: CsgSlot, cs: CsSlot): void {
  const input = readCsgInput(f, slot);
  if (input === undefined) return;
  slot.out.csIrqReq = raiseEvents(input.cs_irq_ack, slot.out.csIrqReq, 1 << cs.index);
  writeCsgOutput(f, slot);
  f.fw.raiseIrq(jobIntCsgIf(slot.index));
}

/** Tell the slot machine whether every stream of the running group is idle. */
export function updateActivity(f: Firmware, slot: CsgSlot): void {
  if (!runningSlot(slot)) return;
  const idle = slot.cs.every((cs) => csIdle(f, cs));
  if (idle === slot.idle) return;
  slot.idle = idle;
  sendChecked(slot.machine, { type: "ACTIVITY", idle });
}
