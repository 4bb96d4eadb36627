import { CS_STATUS_BLOCKED_REASON, CS_STATUS_WAIT } from "../interfaceBits.ts";
import { currentInstructionAddress, type CsException, type CsState } from "./state.ts";

/**
 * The status words of a CS output block (`struct panthor_fw_cs_output_iface`, panthor.md §3.6,
 * cs-isa.md §7.2) as the firmware publishes them for a CS state. Field names are the struct's,
 * so the actor can write them with `encodeStruct(CS_OUTPUT, …)` next to `ack`. What Panthor
 * reads from them: `panthor_queue_get_syncwait_obj` / `cs_slot_sync_queue_state_locked` take
 * the wait pointer, value and GT/LE condition; the fault handlers take FAULT/FATAL and *_INFO.
 *
 * Simplified: SB_SRC is reported as WAIT for any scoreboard wait; PROGRESS/PROTM waits and the
 * DEFERRED/RESOURCE/FLUSH blocked reasons never occur.
 */
export interface CsOutputStatus {
  readonly status_cmd_ptr: number;
  readonly status_wait: number;
  readonly status_req_resource: number;
  readonly status_wait_sync_ptr: number;
  readonly status_wait_sync_value: number;
  readonly status_wait_sync_value_hi: number;
  readonly status_scoreboards: number;
  readonly status_blocked_reason: number;
  readonly fault: number;
  readonly fatal: number;
  readonly fault_info: number;
  readonly fatal_info: number;
  readonly heap_vt_start: number;
  readonly heap_vt_end: number;
  readonly heap_frag_end: number;
  readonly heap_address: number;
}

/** `CS_FAULT` / `CS_FATAL` word: exception type [7:0], exception data [31:8]. */
export function exceptionWord(e: CsException | null): number {
  return e === null ? 0 : ((e.exceptionType & 0xff) | ((e.data & 0xff_ffff) << 8)) >>> 0;
}

/** The CS output status fields for `s`. */
export function csOutputStatus(s: CsState): CsOutputStatus {
  let wait = 0;
  let reason: number = CS_STATUS_BLOCKED_REASON.UNBLOCKED;
  let ptr = 0;
  let lo = 0;
  let hi = 0;
  const b = s.block;
  if (b?.kind === "sbWait") {
    wait = (b.mask & CS_STATUS_WAIT.SB_MASK) | CS_STATUS_WAIT.SB_SRC_WAIT;
    reason = CS_STATUS_BLOCKED_REASON.SB_WAIT;
  } else if (b?.kind === "syncWait") {
    wait = CS_STATUS_WAIT.SYNC + (b.size === 64 ? CS_STATUS_WAIT.SYNC_64B : 0) + ((b.condition & 0xf) << CS_STATUS_WAIT.SYNC_COND_SHIFT);
    reason = CS_STATUS_BLOCKED_REASON.SYNC_WAIT;
    ptr = b.address;
    const ref = BigInt(b.reference);
    lo = Number(ref & 0xffff_ffffn);
    hi = Number(ref >> 32n);
  }
  const scoreboards = s.scoreboard.reduce((m, n, i) => (n > 0 ? m | (1 << i) : m), 0);
  return {
    status_cmd_ptr: currentInstructionAddress(s),
    status_wait: wait >>> 0,
    status_req_resource: s.reqResource,
    status_wait_sync_ptr: ptr,
    status_wait_sync_value: lo,
    status_wait_sync_value_hi: hi,
    status_scoreboards: scoreboards,
    status_blocked_reason: reason,
    fault: exceptionWord(s.faultPending),
    fatal: exceptionWord(s.fatal),
    fault_info: s.faultPending?.info ?? 0,
    fatal_info: s.fatal?.info ?? 0,
    heap_vt_start: s.heap.vtStart >>> 0,
    heap_vt_end: s.heap.vtEnd >>> 0,
    heap_frag_end: s.heap.fragEnd >>> 0,
    heap_address: s.heap.context,
  };
}
