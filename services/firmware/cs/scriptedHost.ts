import type { CsClock } from "./context.ts";
import type { CsEffect, RunEffect } from "./effects.ts";
import { wordsToBytes } from "./encoding.ts";
import { jobDone, ringDoorbell, runnable, step, type JobOutcome } from "./interpreter.ts";
import type { SparseMemory } from "./memory.ts";
import { ringPlace } from "./ring.ts";
import type { CsState } from "./state.ts";

/**
 * A scripted host for one CS, for tests and stand-alone runs: it plays the kernel (copy words
 * into the ring, move CS_INSERT, ring the doorbell) and the endpoints (complete `run` effects),
 * the way the firmware actor and the shader-core actor will. Not used by the simulator itself.
 */

/** Copy instruction words into the ring at CS_INSERT (wrapping) and ring the doorbell. */
export function submitToRing(state: CsState, mem: SparseMemory, words: readonly bigint[]): CsState {
  const { writes, insert } = ringPlace(state.ring, wordsToBytes(words));
  for (const w of writes) mem.poke(w.va, w.bytes);
  return ringDoorbell(state, insert);
}

/** Write a user stream (instruction words) at `va`; returns its byte size. */
export function writeStream(mem: SparseMemory, va: number, words: readonly bigint[]): number {
  mem.poke(va, wordsToBytes(words));
  return words.length * 8;
}

/** Options of {@link runCs}. */
export interface RunCsOptions {
  /** Instruction budget per step call (default 10,000). */
  readonly budget?: number;
  /** Stop after this many step calls (default 1,000). */
  readonly maxSteps?: number;
  /** How jobs end: default every job succeeds at once; return `null` to leave a job running. */
  readonly completeJob?: (run: RunEffect) => JobOutcome | null;
  readonly clock?: CsClock;
}

/** Everything that happened in {@link runCs}. */
export interface RunCsResult {
  readonly state: CsState;
  readonly effects: readonly CsEffect[];
  readonly executed: number;
  /** Jobs left running (completeJob returned null). */
  readonly running: readonly RunEffect[];
}

/**
 * Step the CS until it can make no more progress (idle, blocked, stalled on a fault, fatal),
 * completing `run` effects as `completeJob` says.
 */
export function runCs(initial: CsState, mem: SparseMemory, opts: RunCsOptions = {}): RunCsResult {
  let state = initial;
  const effects: CsEffect[] = [];
  const running: RunEffect[] = [];
  let executed = 0;
  for (let i = 0; i < (opts.maxSteps ?? 1000); i++) {
    const r = step(state, mem, opts.budget ?? 10_000, opts.clock);
    state = r.state;
    executed += r.executed;
    effects.push(...r.effects);
    let progressed = r.executed > 0;
    for (const e of r.effects) {
      if (e.type !== "run") continue;
      const outcome = opts.completeJob ? opts.completeJob(e) : { ok: true as const };
      if (outcome === null) {
        running.push(e);
        continue;
      }
      const done = jobDone(state, mem, e.jobId, outcome, opts.clock);
      state = done.state;
      effects.push(...done.effects);
      progressed = true;
    }
    if (!progressed && !runnable(state)) break;
  }
  return { state, effects, executed, running };
}
