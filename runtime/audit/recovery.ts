import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import { DeviceProbeFailed, DrmDeviceRegistered, ProbeStepUnwound } from "../../services/driver/driverEvents.ts";
import { MmuFaultHandled } from "../../services/driver/uapi/uapiEvents.ts";
import { FirmwareBooted } from "../../services/firmware/firmwareEvents.ts";
import { GpuSoftResetCompleted } from "../../services/regs/regsEvents.ts";
import { gpuOf, refOf, type EventRef } from "./eventRef.ts";

/** A step the system took to get over a failure, and its outcome. */
export interface RecoveryStep {
  readonly gpu: number;
  readonly event: EventRef;
  readonly summary: string;
}

/** How many recovery steps a report lists. */
export const MAX_RECOVERY_STEPS = 100;

/**
 * Recovery as the log shows it today: a failed probe unwinding (its undo steps gathered into one
 * line) and ending in `DeviceProbeFailed`, a retried probe registering the device, the MMU fault
 * handler disabling a faulted AS and marking its VM unusable, a GPU reset or firmware reboot after
 * a failure. Job timeouts, group reset and guilty/innocent marking come with the driver's
 * submission side (the report's `recovery` list is where they will go).
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
    const gpu = gpuOf(e) ?? 0;
    const add = (summary: string) => {
      if (this.steps.length < MAX_RECOVERY_STEPS) this.steps.push({ gpu, event: refOf(e), summary });
    };
    if (EventRegistry.is(ProbeStepUnwound, e)) {
      this.unwinding.set(gpu, [...(this.unwinding.get(gpu) ?? []), e.payload.what]);
    } else if (EventRegistry.is(DeviceProbeFailed, e)) {
      const undone = this.unwinding.get(gpu) ?? [];
      this.unwinding.delete(gpu);
      this.failedProbes.add(gpu);
      add(`probe unwound (${undone.length === 0 ? "nothing to undo" : undone.join(", ")}) and failed at ${e.payload.step} with ${e.payload.errno}`);
    } else if (EventRegistry.is(DrmDeviceRegistered, e) && this.failedProbes.delete(gpu)) {
      add("probe retried: the DRM device registered");
    } else if (EventRegistry.is(MmuFaultHandled, e)) {
      const vm = e.payload.vmId === undefined ? "no VM bound" : `VM ${e.payload.vmId} of file ${e.payload.file} marked unusable`;
      add(`MMU fault on AS${e.payload.as} handled: AS disabled and its interrupt masked, ${vm}`);
    } else if (EventRegistry.is(GpuSoftResetCompleted, e) && this.troubled.delete(gpu)) {
      add(`GPU ${e.payload.kind} reset completed`);
    } else if (EventRegistry.is(FirmwareBooted, e) && this.troubled.delete(gpu)) {
      add(`firmware ${e.payload.fast ? "restarted" : "rebooted"} (${e.payload.version})`);
    }
  }
}
