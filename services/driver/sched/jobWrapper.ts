/**
 * The ring words of a job's wrapper (`prepare_job_instrs()` in panthor_sched.c, built by the
 * firmware model's `buildJobWrapper`), remembered per firmware CSIF and job parameters.
 *
 * GROUP_SUBMIT sizes a job's ring credits from its wrapper and `queue_run_job()` copies the same
 * wrapper into the ring; a client submits the same streams frame after frame, so the same few
 * wrappers are encoded over and over. The wrapper is a pure function of its parameters, so a
 * remembered one is byte-for-byte the one encoding would give; a call that throws (a value that
 * does not fit its instruction field) is not remembered and throws again next time.
 */
import type { DrmPanthorCsifInfo } from "../../../shared/gpu/gpuInfo.ts";
import { buildJobWrapper, wordsToBytes } from "../../firmware/index.ts";

/** What varies between the wrappers of one firmware: the `drm_panthor_queue_submit` stream and the queue's sync object. */
export interface JobWrapperJob {
  readonly streamAddr: number;
  readonly streamSize: number;
  readonly latestFlush: number;
  /** GPU VA of the queue's 64-bit sync object. */
  readonly syncAddr: number;
}

/** Wrappers remembered per CSIF before the memo starts afresh (distinct streams are few; this only bounds memory). */
const MAX_REMEMBERED = 1024;

const remembered = new WeakMap<DrmPanthorCsifInfo, Map<string, Uint8Array>>();

/**
 * The wrapper's ring bytes (little-endian instruction words; empty for a zero-size stream). The
 * array is shared with later calls: callers only read it.
 */
export function jobWrapperBytes(csif: DrmPanthorCsifInfo, job: JobWrapperJob): Uint8Array {
  let memo = remembered.get(csif);
  if (memo === undefined) {
    memo = new Map();
    remembered.set(csif, memo);
  }
  const key = `${job.streamAddr}:${job.streamSize}:${job.latestFlush}:${job.syncAddr}`;
  let bytes = memo.get(key);
  if (bytes === undefined) {
    const words = buildJobWrapper({
      ...job,
      csif: { csRegCount: csif.cs_reg_count, unpreservedCsRegCount: csif.unpreserved_cs_reg_count, scoreboardSlotCount: csif.scoreboard_slot_count },
    });
    bytes = wordsToBytes(words);
    if (memo.size >= MAX_REMEMBERED) memo.clear();
    memo.set(key, bytes);
  }
  return bytes;
}

/** A job's ring credits: the instruction words of its wrapper. */
export function jobWrapperWords(csif: DrmPanthorCsifInfo, job: JobWrapperJob): number {
  return jobWrapperBytes(csif, job).length / 8;
}
