import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import { DeviceProbeFailed, DrmDeviceRegistered, ProbeStepUnwound } from "../../services/driver/driverEvents.ts";
import { MmuFaultHandled } from "../../services/driver/uapi/uapiEvents.ts";
import { DeviceResetCompleted, DeviceResetFailed, ResetGroupJudged, ResetScheduled, ResetStepDone } from "../../services/driver/reset/resetEvents.ts";
import { DRM_PANTHOR_GROUP_STATE } from "../../services/driver/sched/groupLifecycle.ts";
import { FirmwareBooted } from "../../services/firmware/firmwareEvents.ts";
import { GpuSoftResetCompleted } from "../../services/regs/regsEvents.ts";
import { gpuOf, refOf, type EventRef } from "./eventRef.ts";

/** A step the system took to get over a failure, and its outcome. */
export interface RecoveryStep {
  readonly gpu: number;
  readonly event: EventRef;
  readonly summary: string;
}

/** The events the recovery log reads; no other one is a recovery step or leads to one. */
const READS: ReadonlySet<string> = new Set([
  ProbeStepUnwound, DeviceProbeFailed, DrmDeviceRegistered, MmuFaultHandled, ResetScheduled, ResetGroupJudged, ResetStepDone, DeviceResetCompleted,
  DeviceResetFailed, GpuSoftResetCompleted, FirmwareBooted,
].map((d) => d.type));

/** How many recovery steps a report lists. */
export const MAX_RECOVERY_STEPS = 100;

/**
 * Recovery as the log shows it: a failed probe unwinding (its undo steps gathered into one
 * line) and ending in `DeviceProbeFailed`, a retried probe registering the device, the MMU fault
 * handler disabling a faulted AS and marking its VM unusable, a GPU reset or firmware reboot after
 * a failure, and the driver's device reset (`services/driver/reset/`): why it was scheduled,
 * each step of `panthor_device_reset_work()` with its outcome, the verdict on every group it
 * touched (guilty, innocent and resumed, innocent and lost, with the GROUP_GET_STATE flags), and
 * how it ended — the GPU running again or a reported fatal state.
 */
export class RecoveryLog {
  readonly steps: RecoveryStep[] = [];
  private failedProbes = new Set<number>();
  private unwinding = new Map<number, string[]>();
  /** A failure was seen on the GPU since its last reset/boot, so the next one is a recovery. */
  private troubled = new Set<number>();

  /** A failure happened on `gpu` (from the symptom detector). */
  failed(gpu: number): void {
    this.troubled.add(gpu);
  }

  /** Look at one event of the log. */
  push(e: Envelope): void {
    if (!READS.has(e.type)) return;
    const gpu = gpuOf(e) ?? 0;
    if (EventRegistry.is(ProbeStepUnwound, e)) {
      this.unwinding.set(gpu, [...(this.unwinding.get(gpu) ?? []), e.payload.what]);
    } else if (EventRegistry.is(DeviceProbeFailed, e)) {
      const undone = this.unwinding.get(gpu) ?? [];
      this.unwinding.delete(gpu);
      this.failedProbes.add(gpu);
      this.add(e, gpu, `probe unwound (${undone.length === 0 ? "nothing to undo" : undone.join(", ")}) and failed at ${e.payload.step} with ${e.payload.errno}`);
    } else if (EventRegistry.is(DrmDeviceRegistered, e) && this.failedProbes.delete(gpu)) {
      this.add(e, gpu, "probe retried: the DRM device registered");
    } else if (EventRegistry.is(MmuFaultHandled, e)) {
      const vm = e.payload.vmId === undefined ? "no VM bound" : `VM ${e.payload.vmId} of file ${e.payload.file} marked unusable`;
      this.add(e, gpu, `MMU fault on AS${e.payload.as} handled: AS disabled and its interrupt masked, ${vm}`);
    } else if (EventRegistry.is(ResetScheduled, e)) {
      const who = e.payload.group === undefined ? "" : ` (file ${e.payload.file} group ${e.payload.group})`;
      this.add(e, gpu, `reset scheduled: ${e.payload.reason}${who} — ${e.payload.detail}${e.payload.queued ? "" : " (folded into the reset already pending)"}`);
    } else if (EventRegistry.is(ResetGroupJudged, e)) {
      this.add(e, gpu, `group ${e.payload.group} of file ${e.payload.file}: ${e.payload.verdict} — ${e.payload.reason} (GROUP_GET_STATE ${groupFlagNames(e.payload.flags)})`);
    } else if (EventRegistry.is(ResetStepDone, e)) {
      this.add(e, gpu, `reset step ${e.payload.step}: ${e.payload.errno === 0 ? "ok" : `FAILED (${e.payload.errno})`} — ${e.payload.detail}`);
    } else if (EventRegistry.is(DeviceResetCompleted, e)) {
      this.troubled.delete(gpu);
      const p = e.payload;
      this.add(e, gpu, `reset completed in ${(p.durationNs / 1e6).toFixed(3)} ms (${p.reason}): ${p.guilty} guilty, ${p.resumed} innocent resumed, ${p.lost} innocent lost; the GPU runs again`);
    } else if (EventRegistry.is(DeviceResetFailed, e)) {
      this.add(e, gpu, `reset FAILED at ${e.payload.step} (${e.payload.errno}): ${e.payload.detail} — device unusable, every group terminated (reported fatal state)`);
    } else if (EventRegistry.is(GpuSoftResetCompleted, e) && this.troubled.delete(gpu)) {
      this.add(e, gpu, `GPU ${e.payload.kind} reset completed`);
    } else if (EventRegistry.is(FirmwareBooted, e) && this.troubled.delete(gpu)) {
      this.add(e, gpu, `firmware ${e.payload.fast ? "restarted" : "rebooted"} (${e.payload.version})`);
    }
  }

  /** Record a step (a method, not a closure per event: most events are no recovery step). */
  private add(e: Envelope, gpu: number, summary: string): void {
    if (this.steps.length < MAX_RECOVERY_STEPS) this.steps.push({ gpu, event: refOf(e), summary });
  }
}

/** The names of a GROUP_GET_STATE `state` word's flags (`0` when none). */
export function groupFlagNames(flags: number): string {
  const names = (Object.entries(DRM_PANTHOR_GROUP_STATE) as [string, number][]).filter(([, bit]) => (flags & bit) !== 0).map(([n]) => n);
  return names.length === 0 ? "0" : names.join("|");
}
