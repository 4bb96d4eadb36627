import type { JobDescriptor } from "./jobs.ts";
import type { CsBlock, CsState } from "./state.ts";

/**
 * What the outside world must do (or may want to record) after the interpreter ran: the
 * firmware actor turns these into events, endpoint work, interface-block updates and IRQs.
 * Plain JSON data: 64-bit values are decimal strings, addresses numbers (48-bit VAs).
 */

/** RUN_COMPUTE / RUN_IDVS / RUN_FRAGMENT (…) issued: execute `job`, then call `jobDone(jobId)`. */
export interface RunEffect {
  readonly type: "run";
  readonly jobId: number;
  /** The endpoint scoreboard slot the job holds until done. */
  readonly sbSlot: number;
  readonly job: JobDescriptor;
  readonly instructionAddress: number;
  /** The CS's tiler-heap counters when the job was issued (render passes in flight = vtStart − fragEnd). */
  readonly heap: { readonly vtStart: number; readonly vtEnd: number; readonly fragEnd: number };
}

/** A SYNC_ADD/SET wrote a sync object (fences derive from it; SYSTEM scope → CSG_SYNC_UPDATE, inferred). */
export interface SyncSignalledEffect {
  readonly type: "syncSignalled";
  readonly address: number;
  readonly size: 32 | 64;
  readonly operation: "add" | "set";
  /** The new seqno, decimal. */
  readonly seqno: string;
  /** The status word written (error_propagate), else undefined. */
  readonly status: number | undefined;
  readonly scope: "SYSTEM" | "CSG";
  readonly instructionAddress: number;
}

/** FLUSH_CACHE2 performed (cache maintenance is instantaneous in the interpreter; charge its time). */
export interface FlushEffect {
  readonly type: "flush";
  readonly l2: string;
  readonly lsc: string;
  readonly other: string;
  /** r[latest_flush_id]: 0 = unconditional; else the FLUSH_ID the stream was built against. */
  readonly latestFlushId: number;
  readonly instructionAddress: number;
}

/** Tiler-heap bookkeeping (HEAP_SET, HEAP_OPERATION, FINISH_TILING, FINISH_FRAGMENT, handler entry). */
export interface HeapEffect {
  readonly type: "heap";
  readonly operation: "set" | "vtStarted" | "vtCompleted" | "fragmentCompleted" | "finishTiling" | "finishFragment" | "oomHandlerEntered";
  readonly heapContext: number;
  readonly firstChunk?: number;
  readonly lastChunk?: number;
  readonly instructionAddress: number;
}

/** No TILER_OOM handler installed: the host handshake (CS_TILER_OOM event) is needed. */
export interface TilerOomEffect {
  readonly type: "tilerOom";
  readonly heapContext: number;
  readonly vtStart: number;
  readonly vtEnd: number;
  readonly fragEnd: number;
}

/** The CS stopped on WAIT or SYNC_WAIT; `blockedReason` is CS_STATUS_BLOCKED_REASON. */
export interface BlockedEffect {
  readonly type: "blocked";
  readonly block: CsBlock;
  readonly blockedReason: number;
  readonly instructionAddress: number;
}

/** A CS exception: CS_FATAL (`fatal`, the CS is dead) or CS_FAULT (stalled until `ackFault`). */
export interface FaultEffect {
  readonly type: "fault";
  readonly fatal: boolean;
  readonly exceptionType: number;
  readonly exceptionName: string;
  readonly data: number;
  readonly info: number;
  readonly instructionAddress: number;
  readonly message: string;
}

/** The ring ran empty at the root frame (CS_STATUS idle-empty; async work may still be pending). */
export interface IdleEffect {
  readonly type: "idle";
  readonly extract: number;
  readonly pendingJobs: number;
  readonly deferred: number;
}

/** A decode-only instruction (PROGRESS_*, PROT_REGION, TRACE_POINT) executed as a NOP. */
export interface IgnoredEffect {
  readonly type: "ignored";
  readonly kind: string;
  readonly instructionAddress: number;
}

/** Anything the interpreter reports. */
export type CsEffect =
  | RunEffect
  | SyncSignalledEffect
  | FlushEffect
  | HeapEffect
  | TilerOomEffect
  | BlockedEffect
  | FaultEffect
  | IdleEffect
  | IgnoredEffect;

/** The answer of every interpreter entry point. */
export interface StepResult {
  readonly state: CsState;
  readonly effects: readonly CsEffect[];
  /** Instructions retired in this call (charge virtual time per instruction). */
  readonly executed: number;
}
