import type { ActorBehaviour, ActorContext, ActorSpec } from "../../shared/actor/actor.ts";
import { sendChecked, startHostedMachine } from "../../shared/actor/xstateHost.ts";
import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import type { GpuModel } from "../../shared/gpu/model.ts";
import { powerPaths } from "../power/powerService.ts";
import { regsPaths } from "../regs/regsPaths.ts";
import type { DeviceCtx } from "./deviceCtx.ts";
import { DeviceBindRequested, driverPaths } from "./driverEvents.ts";
import { deviceLifecycleMachine } from "./driverMachine.ts";
import { KernelTaskRunner } from "./ktaskRunner.ts";
import { probeDevice } from "./probe.ts";

/**
 * The driver bound to GPU N, as actor `drv<N>`: the platform driver (probe, and later remove,
 * suspend, resume, reset) and the DRM device front. It touches the GPU only through the register
 * file, the power controller's supplies, shared memory and IRQs — all events.
 */
export function driverActor(gpu: number, model: GpuModel): ActorSpec {
  const regs = regsPaths(gpu);
  const pwr = powerPaths(gpu);
  return {
    name: `drv${gpu}`,
    subscribes: [driverPaths(gpu).bind, regs.read, regs.irq, pwr.state, pwr.error],
    create(ctx: ActorContext): ActorBehaviour {
      const lifecycle = startHostedMachine(ctx, deviceLifecycleMachine, { id: `${ctx.name}.device` });
      const tasks = new KernelTaskRunner(ctx, gpu);
      let device: DeviceCtx<"registered"> | undefined;
      return {
        handle(e: Envelope) {
          if (EventRegistry.is(DeviceBindRequested, e)) {
            if (!lifecycle.getSnapshot().can({ type: "BIND" })) return;
            sendChecked(lifecycle, { type: "BIND" });
            tasks.start("probe", probeDevice(gpu, model), (dev) => {
              device = dev;
              sendChecked(lifecycle, { type: dev === undefined ? "PROBE_FAILED" : "PROBED" });
            });
            return;
          }
          tasks.offer(e);
        },
        snapshot() {
          return {
            lifecycle: lifecycle.getSnapshot().value,
            tasks: tasks.describe(),
            ...(device !== undefined ? { gpuId: device.info.gpu_id, minor: device.minor } : {}),
          };
        },
      };
    },
  };
}
