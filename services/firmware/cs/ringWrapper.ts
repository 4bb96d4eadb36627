import { encode } from "./encode.ts";
import { CS_FLUSH_MODE, CS_OTHER_FLUSH_MODE, CS_STATE } from "./opcodes.ts";
import { CS_REG_COUNT_V10, CS_SB_SLOT_COUNT_V10 } from "./state.ts";

/**
 * The kernel's job wrapper around a userspace command stream: the instructions Panthor's
 * `queue_run_job()` (via `prepare_job_instrs()`, panthor_sched.c) copies into a queue's ring for
 * each submitted job (cs-isa.md §6.3): flush caches, CALL the user stream, wait for all its
 * async work, `SYNC_ADD64 +1` on the queue's sync object with error propagation (so
 * `syncobj.seqno == N` once job N finished), ERROR_BARRIER, NOP padding to a 64-byte line.
 *
 * Uses the kernel-reserved registers `addr_reg = cs_reg_count − unpreserved_cs_reg_count`
 * (d92 on G610) and `val_reg = addr_reg + 2` (d94).
 */

/** `MAX_INSTRS_PER_JOB` (panthor_sched.c): the largest wrapper, with both profiling kinds. */
export const MAX_INSTRS_PER_JOB = 24;

/** Panthor's profiling slot: `{ u64 cycles.before, cycles.after, time.before, time.after }`. */
export const PROFILING_SLOT = { cyclesBefore: 0, cyclesAfter: 8, timeBefore: 16, timeAfter: 24, size: 32 } as const;

/** `struct panthor_syncobj_64b` is 16 bytes: the sync object of queue `i` is at `syncobjs + 16·i`. */
export const SYNCOBJ_64B_SIZE = 16;

/** What one job wrapper needs (`drm_panthor_queue_submit` plus the queue's kernel state). */
export interface JobWrapperParams {
  /** GPU VA of the user stream (64-byte aligned; 0 only with size 0). */
  readonly streamAddr: number;
  /** Byte size of the user stream (multiple of 8). */
  readonly streamSize: number;
  /** FLUSH_ID sampled when the stream was built; 0 = flush unconditionally. */
  readonly latestFlush: number;
  /** GPU VA of the queue's 64-bit sync object (group syncobj BO + queue index × 16). */
  readonly syncAddr: number;
  /** Optional profiling: VA of the job's {@link PROFILING_SLOT} and which counters to sample. */
  readonly profiling?: { readonly slotAddr: number; readonly cycles: boolean; readonly timestamp: boolean };
  /** CSIF registers/slots; defaults to G610 (96 registers, 4 unpreserved, 8 scoreboard slots). */
  readonly csif?: { readonly csRegCount: number; readonly unpreservedCsRegCount: number; readonly scoreboardSlotCount: number };
}

/**
 * The ring instructions of one job, NOP-padded to a multiple of 8 words (16 words without
 * profiling, up to {@link MAX_INSTRS_PER_JOB}). A zero-size stream is a pure synchronisation
 * point and gets no ring instructions (`[]`), as in Panthor.
 *
 * @example buildJobWrapper({ streamAddr: 0x10000, streamSize: 64, latestFlush: 0, syncAddr: 0x20000 }).length // 16
 */
export function buildJobWrapper(p: JobWrapperParams): bigint[] {
  if (p.streamSize === 0) return [];
  if (p.streamSize % 8 !== 0) throw new RangeError(`stream_size ${p.streamSize} is not a multiple of 8`);
  if (p.streamAddr % 64 !== 0) throw new RangeError(`stream_addr 0x${p.streamAddr.toString(16)} is not 64-byte aligned`);
  const csif = p.csif ?? { csRegCount: CS_REG_COUNT_V10, unpreservedCsRegCount: 4, scoreboardSlotCount: CS_SB_SLOT_COUNT_V10 };
  const addrReg = csif.csRegCount - csif.unpreservedCsRegCount;
  const valReg = addrReg + 2;
  const waitAll = 2 ** csif.scoreboardSlotCount - 1;
  const prof = p.profiling;

  const sample = (when: "before" | "after"): bigint[] => {
    if (prof === undefined) return [];
    const out: bigint[] = [];
    if (prof.cycles) {
      const at = when === "before" ? PROFILING_SLOT.cyclesBefore : PROFILING_SLOT.cyclesAfter;
      out.push(encode.move48(addrReg, prof.slotAddr + at), encode.storeState(addrReg, CS_STATE.CYCLE_COUNT));
    }
    if (prof.timestamp) {
      const at = when === "before" ? PROFILING_SLOT.timeBefore : PROFILING_SLOT.timeAfter;
      out.push(encode.move48(valReg, prof.slotAddr + at), encode.storeState(valReg, CS_STATE.TIMESTAMP));
    }
    return out;
  };

  const words = [
    encode.move32(valReg, p.latestFlush),
    encode.flushCache2(valReg, {
      l2: CS_FLUSH_MODE.CLEAN_AND_INVALIDATE,
      lsc: CS_FLUSH_MODE.CLEAN_AND_INVALIDATE,
      other: CS_OTHER_FLUSH_MODE.INVALIDATE,
      waitMask: 0,
      signalSlot: 0,
    }),
    ...sample("before"),
    encode.move48(addrReg, p.streamAddr),
    encode.move32(valReg, p.streamSize),
    encode.wait(0b1),
    encode.call(addrReg, valReg),
    ...sample("after"),
    encode.move48(addrReg, p.syncAddr),
    encode.move48(valReg, 1),
    encode.wait(waitAll),
    encode.syncAdd64(addrReg, valReg, { errorPropagate: true, scope: "SYSTEM" }),
    encode.errorBarrier(),
  ];
  while (words.length % 8 !== 0) words.push(encode.nop());
  return words;
}
