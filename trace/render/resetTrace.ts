import { EventRegistry } from "../../shared/events/registry.ts";
import { errnoName } from "../../shared/gpu/errno.ts";
import {
  DeviceResetCompleted, DeviceResetFailed, ResetGroupJudged, ResetScheduled, ResetStepDone, ResetStepSchema,
} from "../../services/driver/reset/resetEvents.ts";
import type { TraceContext } from "../traceContext.ts";
import type { TraceArgs } from "../traceEvent.ts";
import type { Pending } from "../traceQueue.ts";
import { HOST_PID, type TrackRef } from "../traceTracks.ts";
import { driverOf } from "./queueTrace.ts";
import type { Renderer } from "./renderer.ts";

/** A reset in progress: its slice and the slice of the step under way. */
interface Reset {
  readonly slice: Pending;
  step?: { readonly slice: Pending; readonly name: string };
}

const STEPS = ResetStepSchema.options;

/** The host track of driver `drv<N>`'s resets, beside its probe track. */
export const resetTrack = (driver: number): TrackRef => ({ pid: HOST_PID, kind: "probe", name: `drv${driver} reset` });

/**
 * Device resets (`panthor_device_reset_work()`, panthor.md §4.8) on the host's `drv<N> reset`
 * track: a slice `reset: <reason>` from ResetScheduled to DeviceResetCompleted (`result:
 * completed`, durations and group counts) or DeviceResetFailed (`result: failed`, the step and its
 * errno), holding one slice per step, back to back, each ending at its ResetStepDone. As for the
 * probe, a step's slice begins when the previous one ends (the first at ResetScheduled, so it
 * includes the wait for the reset work), named after the next step in the kernel's order; a step
 * done under another name renames it (or, once written, says so in args). A reset asked for while
 * one is pending (folded into it), each group's verdict (ResetGroupJudged) and a failure are
 * instants.
 */
export function resetRenderer(ctx: TraceContext): Renderer {
  const resets = new Map<number, Reset>();
  const beginStep = (driver: number, r: Reset, name: string | undefined) => {
    r.step = name === undefined ? undefined : { slice: ctx.begin(resetTrack(driver), name, "reset", {}), name };
  };
  const endStep = (r: Reset, name: string | undefined, args: TraceArgs) => {
    if (r.step === undefined) return;
    const renamed = name === undefined || name === r.step.name || ctx.rename(r.step.slice, name);
    ctx.end(r.step.slice, renamed ? args : { ...args, step: name });
    r.step = undefined;
  };
  const close = (driver: number, args: TraceArgs, step?: string, stepArgs: TraceArgs = {}) => {
    const r = resets.get(driver);
    if (r === undefined) return;
    resets.delete(driver);
    endStep(r, step, stepArgs);
    ctx.end(r.slice, args);
  };
  const next = (step: string): string | undefined => STEPS[STEPS.indexOf(step as (typeof STEPS)[number]) + 1];

  return {
    types: [ResetScheduled.type, ResetStepDone.type, ResetGroupJudged.type, DeviceResetCompleted.type, DeviceResetFailed.type],
    draw(e) {
      const driver = driverOf(e);
      const r = resets.get(driver);
      if (EventRegistry.is(ResetScheduled, e)) {
        const { reason, detail, file, group, queued } = e.payload;
        const args = { reason, detail, ...(file !== undefined ? { file } : {}), ...(group !== undefined ? { group } : {}), queued };
        if (r !== undefined || !queued) return void ctx.instant(resetTrack(driver), `reset requested: ${reason} (folded)`, "reset", args, e);
        const reset: Reset = { slice: ctx.begin(resetTrack(driver), `reset: ${reason}`, "reset", args, e) };
        resets.set(driver, reset);
        beginStep(driver, reset, STEPS[0]);
      } else if (EventRegistry.is(ResetStepDone, e)) {
        const { step, errno, detail } = e.payload;
        const args = { detail, ...(errno !== 0 ? { errno, errnoName: errnoName(errno) } : {}) };
        if (r === undefined) return void ctx.instant(resetTrack(driver), `${step} done`, "reset", args, e);
        endStep(r, step, args);
        beginStep(driver, r, errno === 0 ? next(step) : undefined);
      } else if (EventRegistry.is(ResetGroupJudged, e)) {
        const { file, group, verdict, flags, reason } = e.payload;
        ctx.instant(resetTrack(driver), `file ${file} group ${group}: ${verdict}`, verdict === "guilty" ? "fault" : "reset", { file, group, verdict, flags, reason }, e);
      } else if (EventRegistry.is(DeviceResetCompleted, e)) {
        const { durationNs, guilty, resumed, lost } = e.payload;
        close(driver, { result: "completed", durationNs, guilty, resumed, lost });
        ctx.instant(resetTrack(driver), "reset completed", "reset", { ...e.payload }, e);
      } else if (EventRegistry.is(DeviceResetFailed, e)) {
        const { step, errno, detail } = e.payload;
        const failed = { failed: true, errno, errnoName: errnoName(errno), detail };
        close(driver, { result: "failed", step, errno, errnoName: errnoName(errno) }, step, failed);
        ctx.instant(resetTrack(driver), `reset failed: ${errnoName(errno)}`, "fault", { step, errno, detail }, e);
      }
    },
    finish() {
      for (const driver of [...resets.keys()]) close(driver, { unfinished: true }, undefined, { unfinished: true });
    },
  };
}
