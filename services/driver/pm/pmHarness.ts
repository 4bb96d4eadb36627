/**
 * A bench for the power policy: a GPU, its driver, and a stand-in submitter playing the part of
 * the scheduler and firmware (which the submission issue brings). Once the device is registered
 * it powers the shader cores, as the firmware boot does, opens a DRM file and creates a VM; then
 * it submits frames — each one `SubmissionPending`; once the PM cleared it, the VM made resident
 * (`VmActivationRequested`, as `panthor_vm_active()` when a group is scheduled — needed again
 * after every runtime suspend, which releases the AS slots: `VmAsReleased`) and a fragment job dispatched to the
 * cores in that AS; `SubmissionRetired` when the job completes. Jobs run one at a time (one
 * ring), so a slower clock means longer frames, never free overlap.
 */
import type { ActorBehaviour, ActorContext, ActorSpec } from "../../../shared/actor/actor.ts";
import type { Envelope } from "../../../shared/events/envelope.ts";
import { EventRegistry } from "../../../shared/events/registry.ts";
import { loadGpuModel } from "../../../shared/gpu/loadModel.ts";
import type { GpuModel } from "../../../shared/gpu/model.ts";
import { PhysicalMemory } from "../../../shared/gpu/physicalMemory.ts";
import { GPU_CONTROL } from "../../../shared/gpu/registers.ts";
import { MemoryLogSink } from "../../../shared/log/jsonlSink.ts";
import { Simulation } from "../../../shared/runtime/simulation.ts";
import { createCatalogue } from "../../catalogue.ts";
import { MmioWriteIssued } from "../../regs/regsEvents.ts";
import { regsPaths } from "../../regs/regsPaths.ts";
import { JobCompleted, JobDispatched, JobFaulted } from "../../shader/shaderEvents.ts";
import { shaderPaths } from "../../shader/shaderPaths.ts";
import { gpuHardware } from "../../world.ts";
import { DeviceBindRequested, DrmDeviceRegistered, driverPaths } from "../driverEvents.ts";
import { driverActor } from "../driverService.ts";
import { DrmFileOpened, DrmFileOpenRequested, IoctlCompleted, IoctlIssued, VmActivated, VmActivationRequested, VmAsReleased } from "../uapi/uapiEvents.ts";
import { uapiPaths } from "../uapi/uapiPaths.ts";
import { SubmissionCleared, SubmissionPending, SubmissionRetired, pmPaths } from "./pmEvents.ts";
import type { PowerPolicyOptions } from "./powerPolicy.ts";

const MS = 1_000_000;

/** Bursts of frames: `framesPerBurst` frames `periodNs` apart, bursts separated by `pauseNs` of idle. */
export interface FrameLoad {
  readonly startNs: number;
  readonly periodNs: number;
  readonly framesPerBurst: number;
  readonly bursts: number;
  readonly pauseNs: number;
  /** Shader cycles of each frame's fragment job. */
  readonly cycles: number;
}

/** Submission times of every frame of a load. */
export function frameTimes(l: FrameLoad): number[] {
  const out: number[] = [];
  let t = l.startNs;
  for (let b = 0; b < l.bursts; b++) {
    for (let f = 0; f < l.framesPerBurst; f++) out.push(t + f * l.periodNs);
    t += l.framesPerBurst * l.periodNs + l.pauseNs;
  }
  return out;
}

/** A stand-in submitter of `load` on GPU `gpu` (see the module comment). */
export function standInSubmitter(gpu: number, model: GpuModel, load: FrameLoad): ActorSpec {
  const pm = pmPaths(gpu);
  const uapi = uapiPaths(gpu);
  const times = frameTimes(load);
  return {
    name: "submitter",
    subscribes: [driverPaths(gpu).device, pm.submitDone, shaderPaths(gpu).job, uapi.fileDone, uapi.ioctlDone, uapi.vmState],
    create(ctx: ActorContext): ActorBehaviour {
      let next = 0;
      let running: string | undefined;
      const ready: string[] = [];
      let file: number | undefined;
      let vm: { id: number; as: number | undefined } | undefined;
      let activating = false;
      const stats = { submitted: 0, completed: 0, faulted: 0 };
      const timer = ctx.timer("frame", () => {
        ctx.publish(SubmissionPending, pm.submit, { tag: `f${next}` });
        stats.submitted++;
        next++;
        if (next >= times.length) return "norestart";
        timer.start(Math.max(times[next]!, ctx.nowNs()), "abs");
        return "norestart";
      });
      const dispatch = () => {
        if (running !== undefined || ready.length === 0 || vm === undefined || file === undefined) return;
        if (vm.as === undefined) {
          if (!activating) ctx.publish(VmActivationRequested, uapi.vm, { file, vmId: vm.id });
          activating = true;
          return;
        }
        const job = ready.shift()!;
        running = job;
        ctx.publish(JobDispatched, shaderPaths(gpu).dispatch, {
          job, as: vm.as, kind: "fragment", coreMask: model.present.shader_present, cost: { cycles: load.cycles }, ranges: [],
        });
      };
      const retire = (job: string) => {
        if (job !== running) return;
        running = undefined;
        ctx.publish(SubmissionRetired, pm.submit, { tag: job });
        dispatch();
      };
      return {
        handle(e: Envelope) {
          if (EventRegistry.is(DrmDeviceRegistered, e)) {
            ctx.publish(MmioWriteIssued, regsPaths(gpu).mmio, { offset: GPU_CONTROL.SHADER_PWRON_LO, value: model.present.shader_present });
            ctx.publish(DrmFileOpenRequested, uapi.file, { client: ctx.name, tag: "open" });
            if (times.length > 0) timer.start(Math.max(times[0]!, ctx.nowNs()), "abs");
          } else if (EventRegistry.is(DrmFileOpened, e) && e.payload.client === ctx.name) {
            file = e.payload.file;
            ctx.publish(IoctlIssued, uapi.ioctl, { file, ioctl: "VM_CREATE", args: {}, tag: "vm" });
          } else if (EventRegistry.is(IoctlCompleted, e) && e.payload.file === file && e.payload.tag === "vm" && e.payload.ret === 0) {
            vm = { id: e.payload.out?.["id"] as number, as: undefined };
            dispatch();
          } else if (EventRegistry.is(VmActivated, e) && e.payload.file === file && vm !== undefined) {
            vm.as = e.payload.as;
            activating = false;
            dispatch();
          } else if (EventRegistry.is(VmAsReleased, e) && e.payload.file === file && vm?.id === e.payload.vmId) {
            vm.as = undefined;
          } else if (EventRegistry.is(SubmissionCleared, e) && e.payload.ret === 0) {
            ready.push(e.payload.tag);
            dispatch();
          } else if (EventRegistry.is(JobCompleted, e)) {
            stats.completed++;
            retire(e.payload.job);
          } else if (EventRegistry.is(JobFaulted, e)) {
            stats.faulted++;
            retire(e.payload.job);
          }
        },
        snapshot: () => ({ ...stats, running: running ?? null, ready: [...ready] }),
      };
    },
  };
}

/** A GPU, its driver with `power` options, and optionally a stand-in submitter; bound at t = 0. */
export function createPmBench(opts: { power?: PowerPolicyOptions; load?: FrameLoad; model?: GpuModel; seed?: number } = {}) {
  const model = opts.model ?? loadGpuModel("mali-g610-rk3588");
  const sink = new MemoryLogSink();
  const sim = new Simulation({ run: "pm", seed: opts.seed ?? 1, registry: createCatalogue(), sink });
  const mem = new PhysicalMemory(model.memory.system_ram_bytes);
  for (const a of gpuHardware(model, 0, 0, mem)) sim.addActor(a);
  const drv = sim.addActor(driverActor(0, model, { mem, ...(opts.power !== undefined ? { power: opts.power } : {}) }));
  const submitter = opts.load !== undefined ? sim.addActor(standInSubmitter(0, model, opts.load)) : undefined;
  sim.input("scenario", DeviceBindRequested, driverPaths(0).bind, {}, 0);
  return {
    sim,
    sink,
    model,
    drv,
    submitter,
    /** Events of the given types, in log order. */
    events: (...types: string[]) => sink.events.filter((e) => types.includes(e.type)),
    /** The driver's power-policy snapshot. */
    power: () => (drv.behaviour.snapshot() as { power: { runtimePm: { status: string; usageCount: number; suspendedNs: number }; devfreq: { curHz: number; lastLoad?: number } } }).power,
    ms: MS,
  };
}
