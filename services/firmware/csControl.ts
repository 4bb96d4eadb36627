import { exceptionName } from "../../shared/gpu/exceptions.ts";
import { ackFault, ringDoorbell, runnable } from "./cs/interpreter.ts";
import { createCsState, type CsState } from "./cs/state.ts";
import { csOutputStatus, type CsOutputStatus } from "./cs/status.ts";
import { applyEffects, resolveOom } from "./csEffects.ts";
import { csIrq } from "./csgControl.ts";
import { csEventsPending, planCsAcks } from "./csgRequests.ts";
import type { Firmware } from "./firmware.ts";
import { CsRequestsAcked } from "./firmwareEvents.ts";
import type { CsSlot, CsgSlot } from "./firmwareState.ts";
import { decodeLenient, encodeCsOutput, encodeRingOutput } from "./interfaceIo.ts";
import { CS_INPUT, RINGBUF_INPUT } from "./interfaces.ts";
import { raiseEvents } from "./reqAck.ts";

/**
 * One CS slot as the firmware serves it (panthor.md §3.6; the host side is
 * `cs_slot_prog_locked()` and `queue_run_job()`): CS_REQ state and config requests, the ring
 * programmed in the CS input block, CS_INSERT read from the queue's user input page (through
 * AS0, where panthor maps it), CS_EXTRACT and `active` written to its user output page, the CS
 * output block (CS_ACK and the status words of `csOutputStatus()`), and CS events (FATAL,
 * FAULT, TILER_OOM) toggled in CS_ACK and signalled through the CSG's `cs_irq_req`.
 */

/** The CS input block as the host last wrote it. */
export function readCsInput(f: Firmware, cs: CsSlot) {
  return f.fw.readInput(cs.blocks.input, CS_INPUT);
}

/** Run `fn` on the stream now, or after its slice in flight commits. */
export function withCs(f: Firmware, cs: CsSlot, fn: () => void): void {
  if (f.executor.inFlight(cs)) cs.deferred.push(fn);
  else fn();
}

/** Drop the stream's state (CSG START or TERMINATE): CS_ACK.STATE reads STOP again. */
export function resetCs(f: Firmware, cs: CsSlot): void {
  f.executor.abandon(cs);
  Object.assign(cs, { started: false, state: null, oom: null, deferred: [], parked: false, statusDirty: true });
  cs.ack = (cs.ack & ~0x7) >>> 0;
}

/** CS_REQ.STATE = START: a fresh stream on the ring the CS input block describes, at the user page's extract. */
function startCs(f: Firmware, slot: CsgSlot, cs: CsSlot, input: NonNullable<ReturnType<typeof readCsInput>>): void {
  f.executor.abandon(cs);
  const io = decodeLenient(RINGBUF_INPUT, f.fw.readMcu(input.ringbuf_input, RINGBUF_INPUT.size) ?? new Uint8Array(0));
  const fw = f.image!.fw;
  const fresh = createCsState({ ring: { base: input.ringbuf_base, size: input.ringbuf_size, extract: io.extract }, regCount: fw.cs_reg_count, sbSlotCount: fw.scoreboard_slot_count });
  Object.assign(cs, {
    priority: input.config & 0xf, doorbell: (input.config >>> 8) & 0xff, ringInputVa: input.ringbuf_input, ringOutputVa: input.ringbuf_output,
    started: true, state: fresh, epoch: cs.epoch + 1, oom: null, grantedChunks: 0, deferred: [], parked: false, statusDirty: true,
  });
  if (fresh.fatal === null) setState(f, slot, cs, ringDoorbell(fresh, io.insert));
  else reportNewFatal(f, slot, cs, null);
}

/** Replace the stream's state, reporting a CS_FATAL the change introduced (a corrupt CS_INSERT). */
function setState(f: Firmware, slot: CsgSlot, cs: CsSlot, next: CsState): void {
  const before = cs.state?.fatal ?? null;
  cs.state = next;
  cs.parked = false;
  reportNewFatal(f, slot, cs, before);
}

function reportNewFatal(f: Firmware, slot: CsgSlot, cs: CsSlot, before: CsState["fatal"]): void {
  const e = cs.state?.fatal ?? null;
  if (e === null || before !== null) return;
  const name = exceptionName(e.exceptionType);
  applyEffects(f, slot, cs, [{
    type: "fault", fatal: true, exceptionType: e.exceptionType, exceptionName: name, data: e.data, info: e.info, instructionAddress: e.instructionAddress,
    message: `CS_FATAL ${name}: ring configuration rejected`,
  }]);
}

/** Scan CS_REQ: acknowledge state/config requests; notice the host's acknowledge of FAULT and TILER_OOM. */
export function scanCsRequests(f: Firmware, slot: CsgSlot, cs: CsSlot): void {
  const input = readCsInput(f, cs);
  if (input === undefined) return;
  const plan = planCsAcks(input.req, cs.ack, input.ack_irq_mask);
  if (plan.acked.length > 0) {
    cs.ack = plan.ack;
    if (plan.state === "START") startCs(f, slot, cs, input);
    else if (plan.state === "STOP") {
      f.executor.abandon(cs);
      cs.started = false;
    }
    cs.statusDirty = true;
    f.fw.fact(CsRequestsAcked, f.fw.paths.cs(cs.csg, cs.index), { csg: cs.csg, cs: cs.index, requests: [...plan.acked], ack: cs.ack });
    if (plan.irq) csIrq(f, slot, cs);
  }
  const events = csEventsPending(input.req, cs.ack);
  if (cs.state?.faultPending != null && !events.fault) withCs(f, cs, () => cs.state !== null && setState(f, slot, cs, ackFault(cs.state)));
  if (cs.oom !== null && !events.tilerOom) withCs(f, cs, () => resolveOom(f, slot, cs, input.heap_start));
  writeCsOutput(f, cs);
}

/** The queue's doorbell: re-read CS_INSERT from the user input page and re-check sync waits. */
export function refreshInsert(f: Firmware, slot: CsgSlot, cs: CsSlot): void {
  const io = f.fw.readInput(cs.ringInputVa, RINGBUF_INPUT);
  if (io === undefined || cs.state === null) return;
  const insert = io.insert;
  withCs(f, cs, () => cs.state !== null && setState(f, slot, cs, ringDoorbell(cs.state, insert)));
}

const NO_STATUS: CsOutputStatus = {
  status_cmd_ptr: 0, status_wait: 0, status_req_resource: 0, status_wait_sync_ptr: 0, status_wait_sync_value: 0, status_wait_sync_value_hi: 0,
  status_scoreboards: 0, status_blocked_reason: 0, fault: 0, fatal: 0, fault_info: 0, fatal_info: 0, heap_vt_start: 0, heap_vt_end: 0, heap_frag_end: 0, heap_address: 0,
};

/** Write the CS output block when something the host reads changed (or `force`, for STATUS_UPDATE). */
export function writeCsOutput(f: Firmware, cs: CsSlot, force = false): void {
  if (!cs.statusDirty && !force) return;
  cs.statusDirty = false;
  f.fw.writeBlock(cs.blocks.output, encodeCsOutput(cs.ack, cs.state === null ? NO_STATUS : csOutputStatus(cs.state)));
}

/** Write CS_EXTRACT and `active` to the queue's user output page when they changed. */
export function writeRingOutput(f: Firmware, cs: CsSlot): void {
  const s = cs.state;
  if (s === null) return;
  const active = s.ring.extract < s.ring.insert || s.frames.length > 0 || s.pendingJobs.length > 0;
  f.fw.writeBlock(cs.ringOutputVa, encodeRingOutput(s.ring.extract, active));
}

/** Toggle a CS event in CS_ACK and, when it is in the CS's `ack_irq_mask`, signal it through the CSG. */
export function raiseCsEvent(f: Firmware, slot: CsgSlot, cs: CsSlot, bit: number): void {
  const input = readCsInput(f, cs);
  if (input === undefined) return;
  cs.ack = raiseEvents(input.req, cs.ack, bit);
  cs.statusDirty = true;
  if ((input.ack_irq_mask & bit) !== 0) csIrq(f, slot, cs);
}

/**
 * Whether a stream counts as idle for its group: stopped, dead, or with nothing to run (ring
 * empty or a SYNC_WAIT nobody woke) and no job, deferred operation, slice or TILER_OOM pending.
 */
export function csIdle(f: Firmware, cs: CsSlot): boolean {
  const s = cs.state;
  if (!cs.started || s === null || s.fatal !== null) return true;
  if (s.faultPending !== null || cs.oom !== null || f.executor.inFlight(cs)) return false;
  return !runnable(s) && s.pendingJobs.length === 0 && s.deferred.length === 0;
}
