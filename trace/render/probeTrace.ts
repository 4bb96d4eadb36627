import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import { pathOf } from "../../shared/events/subjects.ts";
import { errnoName } from "../../shared/gpu/errno.ts";
import {
  DeviceBindRequested, DeviceProbeFailed, DrmDeviceRegistered, ProbeStepCompleted, ProbeStepFailed, ProbeStepSchema, ProbeStepUnwound,
} from "../../services/driver/driverEvents.ts";
import type { TraceContext } from "../traceContext.ts";
import { hex, type TraceArgs } from "../traceEvent.ts";
import type { Pending } from "../traceQueue.ts";
import { HOST_PID, type TrackRef } from "../traceTracks.ts";
import type { Renderer } from "./renderer.ts";

/** A probe in progress: its slice and the slice of the step under way. */
interface Probe {
  readonly slice: Pending;
  step?: { readonly slice: Pending; readonly name: string };
}

const DRIVER = /^drv(\d+)(?:\.|$)/;
const STEPS = ProbeStepSchema.options;

/**
 * Driver probe, on the host's `drv<N> probe` track: the whole probe as a slice `probe` from
 * DeviceBindRequested to DrmDeviceRegistered or DeviceProbeFailed (`args.result`, the errno), and
 * inside it one slice per step, back to back, each ending at its ProbeStepCompleted or
 * ProbeStepFailed, then `unwind` while a failed probe undoes its steps. A step's slice begins when
 * the previous one ends, named after the step that comes next in Tyr's order (ProbeStepSchema);
 * a step that completes under another name renames it (or, once written, says so in args).
 * Failures, unwinding and the registered device are instants. A step that takes no virtual time
 * at the very end of the probe shows just after it: Perfetto's slices are closed on the left and
 * open on the right.
 */
export function probeRenderer(ctx: TraceContext): Renderer {
  const probes = new Map<number, Probe>();
  const driverOf = (e: Envelope): number => Number((DRIVER.exec(e.source) ?? DRIVER.exec(pathOf(e.subject) ?? "") ?? [])[1] ?? 0);
  const track = (driver: number): TrackRef => ({ pid: HOST_PID, kind: "probe", name: `drv${driver} probe` });
  const beginStep = (driver: number, p: Probe, name: string | undefined) => {
    p.step = name === undefined ? undefined : { slice: ctx.begin(track(driver), name, "probe", {}), name };
  };
  const endStep = (p: Probe, name: string | undefined, args: TraceArgs) => {
    if (p.step === undefined) return;
    const renamed = name === undefined || name === p.step.name || ctx.rename(p.step.slice, name);
    ctx.end(p.step.slice, renamed ? args : { ...args, step: name });
    p.step = undefined;
  };
  const close = (driver: number, args: TraceArgs, step?: string) => {
    const p = probes.get(driver);
    if (p === undefined) return;
    probes.delete(driver);
    endStep(p, step, args.result === undefined ? args : {});
    ctx.end(p.slice, args);
  };
  const next = (step: string): string | undefined => STEPS[STEPS.indexOf(step as (typeof STEPS)[number]) + 1];

  return {
    types: [DeviceBindRequested.type, ProbeStepCompleted.type, ProbeStepFailed.type, ProbeStepUnwound.type, DeviceProbeFailed.type, DrmDeviceRegistered.type],
    draw(e) {
      const driver = driverOf(e);
      const p = probes.get(driver);
      if (EventRegistry.is(DeviceBindRequested, e)) {
        close(driver, { superseded: true });
        const probe: Probe = { slice: ctx.begin(track(driver), "probe", "probe", {}, e) };
        probes.set(driver, probe);
        beginStep(driver, probe, STEPS[0]);
      } else if (EventRegistry.is(ProbeStepCompleted, e)) {
        if (p === undefined) return void ctx.instant(track(driver), `${e.payload.step} completed`, "driver", { ...e.payload }, e);
        endStep(p, e.payload.step, { detail: e.payload.detail });
        beginStep(driver, p, next(e.payload.step));
      } else if (EventRegistry.is(ProbeStepFailed, e)) {
        const { step, errno, detail } = e.payload;
        if (p !== undefined) {
          endStep(p, step, { failed: true, errno, errnoName: errnoName(errno), detail });
          beginStep(driver, p, "unwind");
        }
        ctx.instant(track(driver), `${step} failed: ${errnoName(errno)}`, "fault", { errno, detail }, e);
      } else if (EventRegistry.is(ProbeStepUnwound, e)) {
        ctx.instant(track(driver), `unwind ${e.payload.step}: ${e.payload.what}`, "driver", { ...e.payload }, e);
      } else if (EventRegistry.is(DeviceProbeFailed, e)) {
        const { step, errno } = e.payload;
        close(driver, { result: "failed", step, errno, errnoName: errnoName(errno) });
        ctx.instant(track(driver), `probe failed: ${errnoName(errno)}`, "fault", { step, errno }, e);
      } else if (EventRegistry.is(DrmDeviceRegistered, e)) {
        const { name, version, gpuId, shaderPresent } = e.payload;
        close(driver, { result: "registered", name, version, gpuId: hex(gpuId), shaderPresent: hex(shaderPresent) }, "drm-register");
        ctx.instant(track(driver), `${name} ${version} registered`, "driver", { name, version }, e);
      }
    },
    finish() {
      for (const driver of [...probes.keys()]) close(driver, { unfinished: true });
    },
  };
}
