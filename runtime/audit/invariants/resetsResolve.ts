import { EventRegistry } from "../../../shared/events/registry.ts";
import { GPU_CONTROL, decodeGpuCmd } from "../../../shared/gpu/registers.ts";
import { DeviceProbeFailed, ProbeStepFailed } from "../../../services/driver/driverEvents.ts";
import { GpuSoftResetCompleted, MmioWriteIssued } from "../../../services/regs/regsEvents.ts";
import { DeviceResetFailed } from "../../../services/driver/reset/resetEvents.ts";
import { gpuOf, refOf, type EventRef } from "../eventRef.ts";
import type { InvariantDef } from "./invariant.ts";

/**
 * How long a reset may stay unresolved before the log must show an outcome: panthor's soft-reset
 * wait (`panthor_gpu_soft_reset()`, 100 ms) plus 5 ms for the driver to report its failure.
 */
export const RESET_RESOLVE_BOUND_NS = 105_000_000;

/**
 * Every reset ends with the GPU running or a reported fatal state: a GPU_CMD SOFT_RESET or
 * HARD_RESET write is followed by `GpuSoftResetCompleted` (RESET_COMPLETED raised, the GPU runs
 * again), or the driver reports the failure (`ProbeStepFailed`, `DeviceProbeFailed`, or a failed
 * recovery's `DeviceResetFailed`). A reset still unresolved when the log ends is a violation once
 * {@link RESET_RESOLVE_BOUND_NS} has passed; younger ones are left alone (the run just ended).
 */
export const resetsResolve: InvariantDef = {
  name: "resets-resolve",
  statement: "every reset ends with the GPU running or a reported fatal state",
  reads: [MmioWriteIssued, GpuSoftResetCompleted, ProbeStepFailed, DeviceProbeFailed, DeviceResetFailed],
  create(report) {
    const pending = new Map<number, EventRef>();
    return {
      push(e) {
        const gpu = gpuOf(e) ?? 0;
        if (EventRegistry.is(MmioWriteIssued, e) && e.payload.offset === GPU_CONTROL.GPU_CMD) {
          const c = decodeGpuCmd(e.payload.value).kind;
          if ((c === "SOFT_RESET" || c === "HARD_RESET") && !pending.has(gpu)) pending.set(gpu, refOf(e));
        } else if (EventRegistry.is(GpuSoftResetCompleted, e) || EventRegistry.is(ProbeStepFailed, e) || EventRegistry.is(DeviceProbeFailed, e) || EventRegistry.is(DeviceResetFailed, e)) {
          pending.delete(gpu);
        }
      },
      finish(end) {
        for (const [gpu, ref] of pending) {
          if (end.timeNs - ref.timeNs < RESET_RESOLVE_BOUND_NS) continue;
          report({
            message: `the GPU_CMD reset written at ${ref.timeNs} ns never completed and no fatal state was reported in the ${(end.timeNs - ref.timeNs) / 1e6} ms that followed`,
            timeNs: end.timeNs, gpu, events: [ref],
          });
        }
      },
    };
  },
};
