import { EXCEPTION } from "../../../shared/gpu/exceptions.ts";
import { CS_STATUS_BLOCKED_REASON } from "../interfaceBits.ts";
import { drainDeferred } from "./asyncOps.ts";
import { CsTrap, ZERO_CLOCK, execOf, slotsClear, type CsClock, type Exec } from "./context.ts";
import type { CsEffect, StepResult } from "./effects.ts";
import { decodeWords } from "./encoding.ts";
import { execute, raiseFatal, raiseFault } from "./execute.ts";
import { advance, call, nextInstruction } from "./flow.ts";
import type { CsMemory } from "./memory.ts";
import { fetchWord } from "./ring.ts";
import { currentInstructionAddress, type CsState } from "./state.ts";

/**
 * The CS interpreter as pure functions over {@link CsState}: what the MCU firmware does for one
 * command stream (cs-isa.md §1, §7). Every entry point copies the state, never mutates its
 * argument, and returns `{ state, effects, executed }`; memory is reached only through the
 * {@link CsMemory} given. The firmware actor calls:
 *
 * - {@link step} after a doorbell, a `jobDone`, a `resume` or an `ackFault`, with an instruction
 *   budget (charge `executed` × per-instruction cost in virtual time);
 * - {@link ringDoorbell} when the host's CS_INSERT moved;
 * - {@link jobDone} when the endpoints finished a `run` effect's job;
 * - {@link resume} when a sync object changed (another CS's `syncSignalled`, a host write);
 * - {@link ackFault} when the host acknowledged CS_FAULT (then rings the doorbell).
 *
 * Simplified: one CS in isolation — no CSG-level arbitration, endpoint limits, progress timer or
 * suspend (the actor owns those); instructions cost nothing inside a call.
 */

const stop = (state: CsState): StepResult => ({ state, effects: [], executed: 0 });

function blockedEffect(x: Exec): CsEffect {
  const block = x.d.block!;
  const blockedReason = block.kind === "syncWait" ? CS_STATUS_BLOCKED_REASON.SYNC_WAIT : CS_STATUS_BLOCKED_REASON.SB_WAIT;
  return { type: "blocked", block, blockedReason, instructionAddress: x.pc };
}

/**
 * Execute up to `budget` instructions from the current position (a called stream, else the
 * ring between CS_EXTRACT and CS_INSERT). Stops early when the ring runs empty (`idle`), on a
 * WAIT/SYNC_WAIT that is not satisfied (`blocked`), on CS_FAULT (stalls until `ackFault`) or on
 * CS_FATAL (an undefined opcode → CS_INSTR_INVALID 0x49; a memory fault → the MMU's code).
 *
 * A CS blocked on SYNC_WAIT makes no progress here until {@link resume} asks it to re-read its
 * sync object, as firmware re-evaluates waits on sync updates (inferred, cs-isa.md §7.2).
 *
 * @example step(ringDoorbell(cs, insert), mem, 1000) // → { state, effects: [{ type: "run", … }], executed: 11 }
 */
export function step(state: CsState, mem: CsMemory, budget: number, clock: CsClock = ZERO_CLOCK): StepResult {
  if (state.fatal !== null || state.faultPending !== null) return stop(state);
  if (state.block?.kind === "syncWait" && !state.block.recheck) return stop(state);
  const x = execOf(state, mem, clock);
  const d = x.d;
  let executed = 0;
  while (executed < budget && d.faultPending === null && d.fatal === null) {
    const va = nextInstruction(d);
    if (va === undefined) {
      if (!d.idle) x.effects.push({ type: "idle", extract: d.ring.extract, pendingJobs: d.pendingJobs.length, deferred: d.deferred.length });
      d.idle = true;
      d.block = null;
      break;
    }
    d.idle = false;
    x.pc = va;
    try {
      const word = fetchWord(va, mem);
      if (!word.ok) throw new CsTrap(word.fault.exceptionType, word.fault.address, `instruction fetch at 0x${va.toString(16)} faulted`);
      const instr = decodeWords(word.lo, word.hi);
      if (instr.kind === "invalid") {
        throw new CsTrap(EXCEPTION.CS_INSTR_INVALID, va, `opcode 0x${instr.opcode.toString(16)} is undefined on v10`);
      }
      const outcome = execute(x, instr);
      if (outcome === "block") {
        // Report a block once: not again when re-evaluating the same wait without progress.
        if (state.block === null || executed > 0) x.effects.push(blockedEffect(x));
        break;
      }
      d.block = null;
      if (outcome === "next") advance(d);
      executed++;
    } catch (e) {
      if (!(e instanceof CsTrap)) throw e;
      raiseFatal(x, e);
    }
  }
  d.retired += executed;
  return { state: d, effects: x.effects, executed };
}

/** The host moved CS_INSERT (after copying jobs into the ring and ringing the doorbell). */
export function ringDoorbell(state: CsState, insert: number): CsState {
  const r = state.ring;
  if (insert === r.insert) return state;
  if (!Number.isInteger(insert) || insert < r.extract || insert - r.extract > r.size || insert % 8 !== 0) {
    // A guess: firmware behaviour for a corrupt CS_INSERT is undocumented; stop the CS with CS_CONFIG_FAULT.
    const fatal = { exceptionType: EXCEPTION.CS_CONFIG_FAULT, data: 0, info: insert, instructionAddress: currentInstructionAddress(state) };
    return { ...state, fatal: state.fatal ?? fatal };
  }
  return { ...state, ring: { ...r, insert }, idle: state.idle && insert === r.extract };
}

/** Outcome the endpoints report for a job: success, or the exception that ended it (e.g. DATA_INVALID_FAULT, an MMU fault). */
export type JobOutcome = { readonly ok: true } | { readonly ok: false; readonly exceptionType: number; readonly info?: number };

/**
 * The endpoints finished job `jobId` (a `run` effect): free its scoreboard slot, run deferred
 * operations that were waiting for it (e.g. a deferred SYNC_ADD64), and on failure raise
 * CS_FAULT with the job's exception (the error becomes sticky, so a later `error_propagate`
 * writes status 1). Throws RangeError for an unknown job id (an actor bug, not a GPU condition).
 */
export function jobDone(state: CsState, mem: CsMemory, jobId: number, outcome: JobOutcome = { ok: true }, clock: CsClock = ZERO_CLOCK): StepResult {
  const index = state.pendingJobs.findIndex((j) => j.id === jobId);
  if (index < 0) throw new RangeError(`CS has no pending job ${jobId} (pending: ${state.pendingJobs.map((j) => j.id).join(", ") || "none"})`);
  const x = execOf(state, mem, clock);
  const [job] = x.d.pendingJobs.splice(index, 1);
  x.d.scoreboard[job!.slot]! -= 1;
  if (!outcome.ok && x.d.fatal === null) raiseFault(x, outcome.exceptionType, outcome.info ?? 0);
  try {
    if (x.d.fatal === null) drainDeferred(x);
  } catch (e) {
    if (!(e instanceof CsTrap)) throw e;
    raiseFatal(x, e);
  }
  return { state: x.d, effects: x.effects, executed: 0 };
}

/**
 * A sync object changed: a CS blocked on SYNC_WAIT re-reads it on the next {@link step}. With an
 * `address`, only a wait on that object (seqno or status word) is woken.
 */
export function resume(state: CsState, address?: number): CsState {
  const b = state.block;
  if (b?.kind !== "syncWait" || b.recheck) return state;
  if (address !== undefined && (address < b.address || address >= b.address + (b.size === 64 ? 16 : 8))) return state;
  return { ...state, block: { ...b, recheck: true } };
}

/** The host acknowledged CS_FAULT (copied CS_ACK.FAULT into CS_REQ): the CS may continue. */
export function ackFault(state: CsState): CsState {
  return state.faultPending === null ? state : { ...state, faultPending: null };
}

/**
 * Whether {@link step} can make progress now: not dead, not stalled on a fault, not waiting on a
 * sync object nobody woke, not on a WAIT whose slots are still busy, and work queued.
 */
export function runnable(state: CsState): boolean {
  if (state.fatal !== null || state.faultPending !== null) return false;
  const b = state.block;
  if (b?.kind === "syncWait") return b.recheck;
  if (b?.kind === "sbWait") return slotsClear(state.scoreboard, b.mask);
  return state.frames.length > 0 || state.ring.extract < state.ring.insert;
}

/**
 * The tiler ran out of heap memory for this CS's IDVS work: enter the TILER_OOM exception
 * handler installed with SET_EXCEPTION_HANDLER (it runs like a called stream, one frame beyond
 * the depth limit), or, without one, report `tilerOom` so the actor performs the host handshake
 * (CS_TILER_OOM event, `heap_start`/`heap_end` answer). Handler invocation details are
 * unverified (cs-isa.md §1.4).
 */
export function raiseTilerOom(state: CsState): StepResult {
  const x = execOf(state, NO_MEMORY, ZERO_CLOCK);
  const h = state.tilerOomHandler;
  if (h === null) {
    const { context, vtStart, vtEnd, fragEnd } = state.heap;
    return { state, effects: [{ type: "tilerOom", heapContext: context, vtStart, vtEnd, fragEnd }], executed: 0 };
  }
  try {
    x.d.block = null;
    call(x, h.address, h.length, true);
    x.effects.push({ type: "heap", operation: "oomHandlerEntered", heapContext: state.heap.context, instructionAddress: x.pc });
  } catch (e) {
    if (!(e instanceof CsTrap)) throw e;
    raiseFatal(x, e);
  }
  return { state: x.d, effects: x.effects, executed: 0 };
}

const NO_MEMORY: CsMemory = {
  read: (va) => ({ ok: false, fault: { exceptionType: EXCEPTION.CSF_FW_INTERNAL_ERROR, address: va } }),
  write: (va) => ({ ok: false, fault: { exceptionType: EXCEPTION.CSF_FW_INTERNAL_ERROR, address: va } }),
};
