import { EXCEPTION } from "../../../shared/gpu/exceptions.ts";
import type { Instruction } from "./layouts.ts";

/**
 * The architectural state of one command stream (one CS slot of a CSG), as the firmware keeps
 * it for the lifetime of a queue (cs-isa.md §1.2: registers, scoreboard-entry selection, heap
 * context, exception handlers and resource requests persist across ring jobs).
 *
 * Plain JSON-serialisable data (numbers, strings, arrays; no bigint, no typed arrays), so an
 * actor can snapshot it, log it and rebuild it. Functions in this folder never mutate a state
 * they are given: they copy it ({@link draftOf}) and return the copy.
 */

/** Work registers per CS on v10 / G610 (`CS_FEATURES.WORK_REGS`, cs-isa.md §1.2). */
export const CS_REG_COUNT_V10 = 96;
/** Scoreboard slots per CS on v10 (`CS_MAX_SB_COUNT`, cs-isa.md §1.3). */
export const CS_SB_SLOT_COUNT_V10 = 8;
/** Call-stack frames on G610 including the active one, the ring being the root (cs-isa.md §1.4; Mesa `MAX_CALL_STACK_DEPTH`). */
export const CS_CALL_STACK_DEPTH_G610 = 8;

/** The kernel-programmed ring of a CS (`ringbuf_base`, `ringbuf_size`, CS_INSERT, CS_EXTRACT; panthor.md §3.6). */
export interface CsRing {
  /** GPU VA of the ring buffer. */
  readonly base: number;
  /** Bytes; a power of two (Panthor: 4 KiB … 64 KiB). */
  readonly size: number;
  /** Monotonic byte offset written by the host (`ringbuf_input.insert`). */
  readonly insert: number;
  /** Monotonic byte offset of the next ring instruction (`ringbuf_output.extract`). */
  readonly extract: number;
}

/** A called (or jumped-to) stream: `[start, end)` in GPU VA, `ip` the next instruction. */
export interface CsFrame {
  readonly start: number;
  readonly end: number;
  readonly ip: number;
  /** True for the frame of an exception handler (one frame beyond the depth limit, cs-isa.md §1.4). */
  readonly handler: boolean;
  /**
   * True when this frame was CALLed from the ring: CS_EXTRACT stays on that CALL while the frame
   * runs (cs-isa.md §1.5, inferred) and moves past it when the frame returns.
   */
  readonly calledFromRing: boolean;
}

/** An async job (RUN_*) issued to the endpoints and not yet reported done. */
export interface PendingJob {
  readonly id: number;
  readonly slot: number;
}

/** Register operands an async instruction captured when it was issued (inferred: read at issue). */
export interface CapturedOperands {
  /** A resolved GPU VA (address pair + offset), when the instruction has one. */
  readonly address?: number;
  /** 32-bit data or low word of 64-bit data. */
  readonly lo?: number;
  readonly hi?: number;
  /** FINISH_FRAGMENT's first/last heap chunk pointers. */
  readonly first?: number;
  readonly last?: number;
}

/** A deferred instruction waiting for its scoreboard wait mask (cs-isa.md §1.3). */
export interface DeferredOp {
  readonly instr: Instruction;
  readonly waitMask: number;
  readonly signalSlot: number;
  readonly operands: CapturedOperands;
  /** GPU VA of the instruction that issued it. */
  readonly issuedAt: number;
}

/** Why a CS is not progressing (CS_STATUS_BLOCKED_REASON SB_WAIT or SYNC_WAIT, panthor.md §3.6). */
export type CsBlock =
  | { readonly kind: "sbWait"; readonly mask: number }
  | {
      readonly kind: "syncWait";
      readonly address: number;
      readonly size: 32 | 64;
      readonly condition: number;
      /** Reference value, decimal (64-bit exact). */
      readonly reference: string;
      /** Value last read from memory, decimal. */
      readonly current: string;
      readonly errorReject: boolean;
      /** Set by `resume()`: re-read the sync object on the next step. */
      readonly recheck: boolean;
    };

/** A CS exception as the CS output block reports it (`CS_FAULT`/`CS_FATAL` + `*_INFO`). */
export interface CsException {
  readonly exceptionType: number;
  /** Exception data, bits [31:8] of the CS_FAULT/CS_FATAL word. */
  readonly data: number;
  /** CS_FAULT_INFO / CS_FATAL_INFO: the faulting address where there is one, else the instruction VA. */
  readonly info: number;
  /** GPU VA of the instruction that raised it. */
  readonly instructionAddress: number;
}

/** Per-CS tiler heap bookkeeping (HEAP_SET, HEAP_OPERATION; CS_HEAP_* output fields). */
export interface CsHeap {
  readonly context: number;
  readonly vtStart: number;
  readonly vtEnd: number;
  readonly fragEnd: number;
}

/** The state of one CS; see the module comment. */
export interface CsState {
  readonly regCount: number;
  readonly sbSlotCount: number;
  readonly maxFrames: number;
  /** r0..r(regCount-1), each a u32. */
  readonly regs: readonly number[];
  readonly ring: CsRing;
  /** Called streams above the ring (the ring is the root frame and is not listed). */
  readonly frames: readonly CsFrame[];
  /** Outstanding async operations per scoreboard slot. */
  readonly scoreboard: readonly number[];
  readonly sbEntry: { readonly endpoint: number; readonly other: number };
  readonly pendingJobs: readonly PendingJob[];
  readonly deferred: readonly DeferredOp[];
  readonly block: CsBlock | null;
  /** Ring empty (extract == insert) at the root frame. */
  readonly idle: boolean;
  /** Sticky CS error state: 0 = none, else the exception type that set it (cleared by ERROR_BARRIER). */
  readonly errorState: number;
  /** A CS_FAULT waiting for the host's acknowledge (the CS stalls meanwhile; inferred, cs-isa.md §9.8). */
  readonly faultPending: CsException | null;
  /** A CS_FATAL: the CS never runs again. */
  readonly fatal: CsException | null;
  readonly heap: CsHeap;
  readonly tilerOomHandler: { readonly address: number; readonly length: number } | null;
  /** REQ_RESOURCE bits: compute 0, fragment 1, tiler 2, idvs 3 (CS_STATUS_REQ_RESOURCE). */
  readonly reqResource: number;
  readonly nextJobId: number;
  /** Instructions retired since creation. */
  readonly retired: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A mutable working copy of a {@link CsState}, used inside one interpreter call. */
export type CsDraft = Mutable<Omit<CsState, "regs" | "scoreboard" | "frames" | "pendingJobs" | "deferred" | "ring" | "heap">> & {
  /** Shared with the original state until the first register write copies it (`setReg` in `context.ts`). */
  regs: readonly number[];
  scoreboard: number[];
  frames: Mutable<CsFrame>[];
  pendingJobs: PendingJob[];
  deferred: DeferredOp[];
  ring: Mutable<CsRing>;
  heap: Mutable<CsHeap>;
};

/** Options of {@link createCsState}; defaults are the G610 values. */
export interface CreateCsStateOptions {
  readonly ring: { readonly base: number; readonly size: number; readonly insert?: number; readonly extract?: number };
  readonly regCount?: number;
  readonly sbSlotCount?: number;
  readonly maxFrames?: number;
}

const isPowerOfTwo = (n: number): boolean => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;

/**
 * A freshly started CS (CS_REQ.STATE = START on a slot the kernel programmed, panthor.md §3.6):
 * registers zero, scoreboard empty, executing from the ring at `extract`.
 *
 * A ring whose size is not a power of two of at least 8 bytes, or whose base is not 8-byte
 * aligned, leaves the CS in CS_FATAL CS_CONFIG_FAULT (0x40) — a guess: cs-isa.md does not say
 * how firmware rejects a bad `ringbuf_size`.
 */
export function createCsState(opts: CreateCsStateOptions): CsState {
  const regCount = opts.regCount ?? CS_REG_COUNT_V10;
  const sbSlotCount = opts.sbSlotCount ?? CS_SB_SLOT_COUNT_V10;
  const extract = opts.ring.extract ?? 0;
  const ring = { base: opts.ring.base, size: opts.ring.size, insert: opts.ring.insert ?? extract, extract };
  const badRing = !isPowerOfTwo(ring.size) || ring.size < 8 || ring.base % 8 !== 0;
  return {
    regCount,
    sbSlotCount,
    maxFrames: opts.maxFrames ?? CS_CALL_STACK_DEPTH_G610,
    regs: new Array<number>(regCount).fill(0),
    ring,
    frames: [],
    scoreboard: new Array<number>(sbSlotCount).fill(0),
    sbEntry: { endpoint: 0, other: 0 },
    pendingJobs: [],
    deferred: [],
    block: null,
    idle: ring.insert === ring.extract,
    errorState: 0,
    faultPending: null,
    fatal: badRing ? { exceptionType: EXCEPTION.CS_CONFIG_FAULT, data: 0, info: ring.size, instructionAddress: ring.base } : null,
    heap: { context: 0, vtStart: 0, vtEnd: 0, fragEnd: 0 },
    tilerOomHandler: null,
    reqResource: 0,
    nextJobId: 1,
    retired: 0,
  };
}

/**
 * A working copy whose arrays and nested records may be mutated without touching `s`. The
 * register file (96 words) is not copied here: most calls write no register, so the first write
 * copies it (copy-on-write, `context.ts`), and the draft shares `s.regs` until then.
 */
export function draftOf(s: CsState): CsDraft {
  return {
    ...s,
    scoreboard: s.scoreboard.slice(),
    frames: s.frames.map((f) => ({ ...f })),
    pendingJobs: s.pendingJobs.slice(),
    deferred: s.deferred.slice(),
    ring: { ...s.ring },
    heap: { ...s.heap },
  };
}

/** GPU VA of the instruction the CS executes next (CS_STATUS_CMD_PTR). */
export function currentInstructionAddress(s: CsState): number {
  const top = s.frames[s.frames.length - 1];
  return top !== undefined ? top.ip : s.ring.base + (s.ring.extract % s.ring.size);
}

/** A one-word summary for logs and the audit: what the CS is doing. */
export function csActivity(s: CsState): "fatal" | "faultPending" | "blocked" | "idle" | "ready" {
  if (s.fatal !== null) return "fatal";
  if (s.faultPending !== null) return "faultPending";
  if (s.block !== null) return "blocked";
  return s.idle ? "idle" : "ready";
}
