import { sendChecked } from "../../shared/actor/xstateHost.ts";
import { EXCEPTION } from "../../shared/gpu/exceptions.ts";
import { JobDispatched } from "../shader/shaderEvents.ts";
import { shaderPaths } from "../shader/shaderPaths.ts";
import type { CsEffect, RunEffect, StepResult } from "./cs/effects.ts";
import { jobDone, raiseTilerOom, resume, type JobOutcome } from "./cs/interpreter.ts";
import { raiseCsEvent, withCs, writeCsOutput, writeRingOutput } from "./csControl.ts";
import { raiseCsgEvent, retryDeferredTerminate, runningSlot, updateActivity } from "./csgControl.ts";
import type { Firmware } from "./firmware.ts";
import { CsBlocked, CsFaultRaised, CsIdle, CsTilerOomRaised, SyncObjectUpdated } from "./firmwareEvents.ts";
import type { CsSlot, CsgSlot } from "./firmwareState.ts";
import { CS, CSG } from "./interfaceBits.ts";
import { jobDispatch, type JobDispatch } from "./jobDispatch.ts";
import type { McuMemory } from "./mcuMemory.ts";
import { suspendedJobEnded } from "./suspendBuffers.ts";
import { decodeGrantedChunk, tilerNeedsChunk } from "./tilerHeap.ts";

/**
 * What a command stream's execution causes outside the interpreter: the interpreter's effects
 * become jobs on the shader cores (`JobDispatched`), sync-object facts and wake-ups, CSG and CS
 * events with their interrupts, and status writes; a job's end feeds back into the stream
 * (`jobDone`). Every path ends in {@link afterChange}, which writes what the host reads and
 * lets the executor pick the next slice.
 */

/** How the shader cores ended a dispatched job. */
export interface JobEnd {
  readonly job: string;
  readonly outcome: JobOutcome;
}

/** Commit an executed slice (called by the executor when its virtual time has passed). */
export function commitSlice(f: Firmware, cs: CsSlot, result: StepResult, session: McuMemory): void {
  const slot = f.slotOf(cs);
  cs.state = result.state;
  f.fw.commit(session);
  applyEffects(f, slot, cs, result.effects);
  for (const fn of cs.deferred.splice(0)) fn();
  afterChange(f, slot, cs);
}

/** Write what the host reads about the stream, re-evaluate the group's idleness, run what can run. */
export function afterChange(f: Firmware, slot: CsgSlot, cs: CsSlot): void {
  writeRingOutput(f, cs);
  writeCsOutput(f, cs);
  updateActivity(f, slot);
  f.executor.kick();
}

/** Turn interpreter effects into the firmware's actions and facts, in order. */
export function applyEffects(f: Firmware, slot: CsgSlot, cs: CsSlot, effects: readonly CsEffect[]): void {
  const fw = f.fw;
  const where = { csg: cs.csg, cs: cs.index };
  const path = fw.paths.cs(cs.csg, cs.index);
  for (const e of effects) {
    switch (e.type) {
      case "run":
        dispatchRun(f, slot, cs, e);
        break;
      case "syncSignalled":
        fw.fact(SyncObjectUpdated, fw.paths.sync, {
          gpu: fw.config.gpu, ...where, address: e.address, seqno: e.seqno, ...(e.status !== undefined ? { status: e.status } : {}),
          size: e.size, operation: e.operation, scope: e.scope,
        });
        wakeWaiters(f, e.scope === "SYSTEM" ? f.slots.filter(runningSlot) : [slot], e.address);
        // SYSTEM scope reaches the host: CSG SYNC_UPDATE (inferred, cs-isa.md §8).
        if (e.scope === "SYSTEM") raiseCsgEvent(f, slot, CSG.SYNC_UPDATE, "SYNC_UPDATE");
        break;
      case "blocked": {
        const b = e.block;
        const detail = b.kind === "sbWait"
          ? { waitMask: b.mask }
          : { syncAddress: b.address, condition: b.condition, reference: b.reference, current: b.current };
        fw.fact(CsBlocked, path, { ...where, blockedReason: e.blockedReason, instructionAddress: e.instructionAddress, ...detail });
        cs.statusDirty = true;
        break;
      }
      case "fault":
        fw.fact(CsFaultRaised, path, {
          ...where, fatal: e.fatal, exceptionType: e.exceptionType, exceptionName: e.exceptionName, info: e.info,
          instructionAddress: e.instructionAddress, message: e.message,
        });
        raiseCsEvent(f, slot, cs, e.fatal ? CS.FATAL : CS.FAULT);
        break;
      case "tilerOom":
        fw.fact(CsTilerOomRaised, path, { ...where, heapContext: e.heapContext, vtStart: e.vtStart, vtEnd: e.vtEnd, fragEnd: e.fragEnd });
        raiseCsEvent(f, slot, cs, CS.TILER_OOM);
        break;
      case "idle":
        fw.fact(CsIdle, path, { ...where, extract: e.extract, pendingJobs: e.pendingJobs });
        cs.statusDirty = true;
        break;
      default:
        // flush, heap bookkeeping and decode-only instructions: nothing leaves the MCU.
        break;
    }
  }
}

/** Re-evaluate every SYNC_WAIT on `address` in the given groups' streams. */
function wakeWaiters(f: Firmware, slots: readonly CsgSlot[], address: number): void {
  for (const s of slots) {
    for (const c of s.cs) {
      if (c.state?.block?.kind !== "syncWait") continue;
      withCs(f, c, () => {
        if (c.state === null) return;
        c.state = resume(c.state, address);
        c.parked = false;
        f.executor.kick();
      });
    }
  }
}

/** A RUN_*: dispatch it to the shader cores, hold it for a TILER_OOM, or complete it at once (decode-only kinds). */
function dispatchRun(f: Firmware, slot: CsgSlot, cs: CsSlot, run: RunEffect): void {
  const coreEn = f.glb.coreEnMask;
  const job = `csg${cs.csg}.cs${cs.index}.job${++f.jobSerial}`;
  const d = jobDispatch(run, { job, as: slot.as, computeCores: (slot.computeCores & coreEn) >>> 0, fragmentCores: (slot.fragmentCores & coreEn) >>> 0 });
  if (d === undefined) return finishJob(f, slot, cs, run.jobId, { ok: true });
  if (run.job.kind === "idvs" && cs.state !== null && (cs.oom !== null || tilerNeedsChunk(run.heap, cs.grantedChunks))) {
    if (cs.oom !== null) {
      cs.oom = { held: [...cs.oom.held, { run, dispatch: d }] };
      return;
    }
    const r = raiseTilerOom(cs.state);
    if (r.effects.some((e) => e.type === "tilerOom")) {
      cs.oom = { held: [{ run, dispatch: d }] };
      return applyEffects(f, slot, cs, r.effects);
    }
    // The TILER_OOM exception handler runs (incremental rendering); it is taken to free one chunk.
    cs.state = r.state;
    cs.grantedChunks++;
  }
  publishDispatch(f, slot, cs, run, d);
}

function publishDispatch(f: Firmware, slot: CsgSlot, cs: CsSlot, run: RunEffect, d: JobDispatch): void {
  f.jobs.set(d.job, { csg: cs.csg, cs: cs.index, epoch: cs.epoch, jobId: run.jobId });
  f.fw.ctx.publish(JobDispatched, shaderPaths(f.fw.config.gpu).dispatch, d);
  if (slot.jobsOutstanding++ === 0) sendChecked(slot.machine, { type: "JOBS", outstanding: true });
}

/** Feed a job's end back into its stream (`jobDone`) and publish what that causes. */
function finishJob(f: Firmware, slot: CsgSlot, cs: CsSlot, jobId: number, outcome: JobOutcome): void {
  if (cs.state === null) return;
  const session = f.fw.session(slot.as);
  const r = jobDone(cs.state, session, jobId, outcome);
  cs.state = r.state;
  cs.parked = false;
  f.fw.commit(session);
  applyEffects(f, slot, cs, r.effects);
}

/**
 * The shader cores reported a job's end. Jobs of a suspended group are kept for its RESUME
 * (`suspendBuffers.ts`); jobs of a stream restarted or dropped since are forgotten.
 */
export function completeJob(f: Firmware, end: JobEnd): void {
  const rec = f.jobs.get(end.job);
  if (rec === undefined) return void suspendedJobEnded(f, end);
  f.jobs.delete(end.job);
  const slot = f.slots[rec.csg];
  const cs = slot?.cs[rec.cs];
  if (slot === undefined || cs === undefined) return;
  slot.jobsOutstanding = Math.max(0, slot.jobsOutstanding - 1);
  sendChecked(slot.machine, slot.jobsOutstanding === 0 ? { type: "JOBS", outstanding: false } : { type: "PROGRESS" });
  if (slot.jobsOutstanding === 0) retryDeferredTerminate(f, slot);
  if (cs.epoch !== rec.epoch) return;
  withCs(f, cs, () => {
    finishJob(f, slot, cs, rec.jobId, end.outcome);
    if (!f.executor.inFlight(cs)) afterChange(f, slot, cs);
  });
}

/**
 * The host answered TILER_OOM (acknowledged it in CS_REQ): a chunk in `heap_start` releases the
 * held IDVS jobs; none (-ENOMEM) ends them with the OOM exception (CS_FAULT on the stream).
 */
export function resolveOom(f: Firmware, slot: CsgSlot, cs: CsSlot, heapStart: number): void {
  const held = cs.oom?.held ?? [];
  cs.oom = null;
  if (decodeGrantedChunk(heapStart) !== null) {
    cs.grantedChunks++;
    for (const h of held) publishDispatch(f, slot, cs, h.run, h.dispatch);
  } else {
    for (const h of held) finishJob(f, slot, cs, h.run.jobId, { ok: false, exceptionType: EXCEPTION.OOM });
  }
  afterChange(f, slot, cs);
}
