/**
 * The requests that need the GPU powered but come from outside the scheduler (which takes its own
 * runtime-PM references, `sched/activity.ts`), turned into `pm_runtime_*` calls:
 *
 * - `SubmissionPending {tag}` → `pm_runtime_resume_and_get()`, answered `SubmissionCleared`;
 *   `SubmissionRetired {tag}` → `pm_runtime_mark_last_busy()` + `pm_runtime_put_autosuspend()`
 *   (a job's completion). For submitters outside the driver actor: tests, scenarios, a stand-in
 *   for the firmware.
 * - A request that programs an AS — VM_BIND on a VM that holds an AS slot, `VmActivationRequested`
 *   — must find the GPU ACTIVE: it takes a reference and, when the GPU is not ACTIVE, waits for
 *   the resume before it runs (the kernel's `pm_runtime_resume_and_get()` at the top of a path
 *   that touches registers); the reference is dropped with its answer. A VM_BIND on a VM without
 *   an AS only edits page tables in RAM and leaves a suspended GPU asleep.
 */
import type { ActorContext } from "../../../shared/actor/actor.ts";
import type { Envelope } from "../../../shared/events/envelope.ts";
import { EventRegistry } from "../../../shared/events/registry.ts";
import { ERRNO } from "../../../shared/gpu/errno.ts";
import type { KernelTaskRunner } from "../ktaskRunner.ts";
import type { DriverState } from "../uapi/driverState.ts";
import { IoctlCompleted, IoctlIssued, VmActivated, VmActivationFailed, VmActivationRequested } from "../uapi/uapiEvents.ts";
import { findVm } from "../uapi/vmPool.ts";
import { SubmissionCleared, SubmissionPending, SubmissionRetired, pmPaths } from "./pmEvents.ts";
import type { RuntimePmControl } from "./runtimePm.ts";

/** The key of a request that needs the GPU ACTIVE (its answer will carry the same), or undefined. */
function needsGpu(e: Envelope, mm: DriverState): string | undefined {
  if (EventRegistry.is(IoctlIssued, e)) {
    if (e.payload.ioctl !== "VM_BIND") return undefined;
    const vmId = (e.payload.args as { vm_id?: unknown } | null)?.vm_id;
    const resident = typeof vmId === "number" && findVm(mm, e.payload.file, vmId)?.as !== undefined;
    return resident ? `ioctl:${e.payload.file}:${e.payload.tag}` : undefined;
  }
  if (EventRegistry.is(VmActivationRequested, e)) return `vm:${e.payload.file}:${e.payload.vmId}`;
  return undefined;
}

/** The key of an answer that ends a request's reference. */
function answerKey(e: Envelope): string | undefined {
  if (EventRegistry.is(IoctlCompleted, e)) return `ioctl:${e.payload.file}:${e.payload.tag}`;
  if (EventRegistry.is(VmActivated, e) || EventRegistry.is(VmActivationFailed, e)) return `vm:${e.payload.file}:${e.payload.vmId}`;
  return undefined;
}

/** The gate: `defer` before the uAPI sees a request, `handle` for everything the driver receives. */
export interface SubmissionGate {
  /** Take the request's reference; true when it must wait for the resume (`forward` runs it then). */
  defer(e: Envelope, forward: () => void): boolean;
  handle(e: Envelope): void;
  snapshot(): unknown;
}

/** A gate over runtime PM and the driver's memory-side state. */
export function createSubmissionGate(ctx: ActorContext, tasks: KernelTaskRunner, pm: RuntimePmControl, mm: DriverState): SubmissionGate {
  const paths = pmPaths(mm.dev.gpu);
  /** Requests and submissions holding a reference, by key. */
  const held = new Map<string, number>();
  const hold = (key: string) => held.set(key, (held.get(key) ?? 0) + 1);
  const release = (key: string): boolean => {
    const n = held.get(key);
    if (n === undefined) return false;
    if (n <= 1) held.delete(key);
    else held.set(key, n - 1);
    pm.markLastBusy();
    pm.putAutosuspend();
    return true;
  };
  const pending = new Set<string>();

  return {
    defer(e, forward) {
      const key = needsGpu(e, mm);
      if (key === undefined) return false;
      if (pm.status() === "active") {
        pm.get();
        hold(key);
        return false;
      }
      tasks.start(`rpm-wait:${key}`, pm.resumeAndGet(), (ret) => {
        if (ret === 0) hold(key);
        forward();
      });
      return true;
    },
    handle(e) {
      if (EventRegistry.is(SubmissionPending, e)) {
        const key = `submit:${e.payload.tag}`;
        const tag = e.payload.tag;
        if (held.has(key) || pending.has(key)) return void ctx.publish(SubmissionCleared, paths.submitDone, { tag, ret: -ERRNO.EBUSY });
        pending.add(key);
        tasks.start(`rpm-get:${tag}`, pm.resumeAndGet(), (ret) => {
          pending.delete(key);
          if (ret === 0) hold(key);
          ctx.publish(SubmissionCleared, paths.submitDone, { tag, ret });
        });
      } else if (EventRegistry.is(SubmissionRetired, e)) {
        release(`submit:${e.payload.tag}`);
      } else {
        const key = answerKey(e);
        if (key !== undefined) release(key);
      }
    },
    snapshot: () => ({ held: [...held.keys()].sort(), pending: [...pending].sort() }),
  };
}
