import type { ActorBehaviour, ActorContext, ActorSpec } from "../../shared/actor/actor.ts";
import { hostMachine } from "../../shared/actor/hostedMachine.ts";
import { sendChecked } from "../../shared/actor/xstateHost.ts";
import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import { ERRNO } from "../../shared/gpu/errno.ts";
import type { GpuModel } from "../../shared/gpu/model.ts";
import { PhysicalMemory } from "../../shared/gpu/physicalMemory.ts";
import { powerPaths } from "../power/powerService.ts";
import { IrqLineChanged } from "../regs/regsEvents.ts";
import { regsPaths } from "../regs/regsPaths.ts";
import type { DeviceCtx } from "./deviceCtx.ts";
import { DeviceBindRequested, driverPaths } from "./driverEvents.ts";
import { deviceLifecycleMachine } from "./driverMachine.ts";
import { KernelTaskRunner } from "./ktaskRunner.ts";
import { IrqLines } from "./irqLines.ts";
import type { KTask } from "./ktask.ts";
import { probeDevice } from "./probe.ts";
import { createFenceSide, fenceSideSubscriptions } from "./fence/fenceSide.ts";
import { attachSubmissionSide } from "./sched/activity.ts";
import { createPowerPolicy, powerPolicySubscriptions, type PowerPolicy, type PowerPolicyOptions } from "./pm/powerPolicy.ts";
import { driverMemoryLayout } from "./uapi/driverMemory.ts";
import type { DriverStateOptions } from "./uapi/driverState.ts";
import { createUapiDevice, type UapiDevice } from "./uapi/uapiDevice.ts";
import { DrmFileOpenFailed, DrmFileOpenRequested, IoctlCompleted, IoctlIssued } from "./uapi/uapiEvents.ts";
import { uapiPaths } from "./uapi/uapiPaths.ts";

/** Options of the driver actor. */
export interface DriverOptions extends DriverStateOptions {
  /**
   * This process's replica of the GPU's system RAM (the world's, shared with the memory replica
   * actor): the CPU reads BOs and checks pages through it. Default: a private, never-written RAM.
   */
  readonly mem?: PhysicalMemory;
  /** devfreq and runtime PM (`pm/`); default on, as panthor. */
  readonly power?: PowerPolicyOptions;
}

/**
 * The driver bound to GPU N, as actor `drv<N>`: the platform driver (probe, and later remove,
 * suspend, resume, reset) and the DRM device front — files, ioctls, BO mappings, GEM, GPUVM and
 * VM_BIND, syncobjs, AS slots and the MMU interrupt (`uapi/`). One actor owns all driver state:
 * the memory side needs the device's registers and its lock ordering as much as the probe does.
 * It touches the GPU only through the register file, the power controller's supplies, shared
 * memory (`MemoryWritten`) and IRQs — all events.
 */
export function driverActor(gpu: number, model: GpuModel, opts: DriverOptions = {}): ActorSpec {
  const regs = regsPaths(gpu);
  const pwr = powerPaths(gpu);
  const uapi = uapiPaths(gpu);
  const mem = opts.mem ?? new PhysicalMemory(model.memory.system_ram_bytes);
  const layout = driverMemoryLayout(model.memory.system_ram_bytes, opts);
  return {
    name: `drv${gpu}`,
    subscribes: [driverPaths(gpu).bind, regs.read, regs.irq, pwr.state, pwr.error, uapi.file, uapi.ioctl, uapi.mmap, uapi.vm, ...powerPolicySubscriptions(gpu), ...fenceSideSubscriptions(gpu)],
    create(ctx: ActorContext): ActorBehaviour {
      const lifecycle = hostMachine(ctx, deviceLifecycleMachine, { id: `${ctx.name}.device` });
      const tasks = new KernelTaskRunner(ctx, gpu);
      let device: DeviceCtx<"registered"> | undefined;
      let front: UapiDevice | undefined;
      let power: PowerPolicy | undefined;
      let bugs = 0;
      /** A kernel task that threw is a simulator bug: re-thrown from a timer, where the runtime records it. */
      const crash = (where: string) => (err: unknown) => {
        ctx.timer(`drv-bug-${bugs++}`, () => {
          throw err instanceof Error ? new Error(`${where}: ${err.message}`, { cause: err }) : new Error(`${where}: ${String(err)}`);
        }).start(0);
      };
      const irqs = new IrqLines(tasks, crash);
      const fenceSide = createFenceSide(ctx, gpu, opts.fencePolicy);
      /** Requests before the device is registered: the node does not exist (-ENODEV) and no fd is valid (-EBADF). */
      const refuse = (e: Envelope): void => {
        if (EventRegistry.is(DrmFileOpenRequested, e)) ctx.publish(DrmFileOpenFailed, uapi.fileDone, { client: e.payload.client, tag: e.payload.tag, errno: -ERRNO.ENODEV });
        else if (EventRegistry.is(IoctlIssued, e)) ctx.publish(IoctlCompleted, uapi.ioctlDone, { file: e.payload.file, tag: e.payload.tag, ioctl: e.payload.ioctl, ret: -ERRNO.EBADF });
      };
      return {
        handle(e: Envelope) {
          if (EventRegistry.is(DeviceBindRequested, e)) {
            if (!lifecycle.getSnapshot().can({ type: "BIND" })) return;
            sendChecked(lifecycle, { type: "BIND" });
            const env = { ram: mem, opts, irqs, now: () => ctx.nowNs(), spawn: (name: string, task: KTask<void>) => tasks.start(name, task, () => {}, crash(name)) };
            tasks.start("probe", probeDevice(gpu, model, env, layout, opts.uapiMinor ?? 5), (probed) => {
              const dev = probed?.dev;
              device = dev;
              if (probed !== undefined) front = createUapiDevice(ctx, tasks, probed.dev, probed.state);
              if (front !== undefined) fenceSide.attach(front.state, (name, task) => tasks.start(name, task, () => {}, crash(name)));
              if (dev !== undefined && front !== undefined) power = createPowerPolicy(ctx, tasks, dev, model, front.state, opts.power);
              if (power !== undefined && front !== undefined) attachSubmissionSide(front.state, power.runtime);
              sendChecked(lifecycle, { type: dev === undefined ? "PROBE_FAILED" : "PROBED" });
            });
            return;
          }
          if (EventRegistry.is(IrqLineChanged, e) && e.payload.asserted && e.payload.line !== "mmu") irqs.asserted(e.payload.line);
          fenceSide.handle(e);
          if (front === undefined) refuse(e);
          else if (power?.defer(e, () => front?.handle(e)) !== true) front.handle(e);
          power?.handle(e);
          tasks.offer(e);
        },
        snapshot() {
          return {
            lifecycle: lifecycle.getSnapshot().value,
            tasks: tasks.describe(),
            ...(device !== undefined ? { gpuId: device.info.gpu_id, minor: device.minor } : {}),
            ...(front !== undefined ? { memory: front.snapshot() } : {}),
            ...(power !== undefined ? { power: power.snapshot() } : {}),
          };
        },
      };
    },
  };
}
