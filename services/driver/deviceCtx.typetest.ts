// Compile-time checks of the device typestate: `npm run typecheck` fails if any expected-error
// line below stops being an error. Not a runtime test.
import type { DrmPanthorGpuInfo } from "../../shared/gpu/gpuInfo.ts";
import type { GpuModel } from "../../shared/gpu/model.ts";
import type { PhysicalMemory } from "../../shared/gpu/physicalMemory.ts";
import { beginProbe, drmNodeName, gpuProbed, registerDevice } from "./deviceCtx.ts";
import type { ActorContext } from "../../shared/actor/actor.ts";
import type { KernelTaskRunner } from "./ktaskRunner.ts";
import { createDriverState, type DriverState } from "./uapi/driverState.ts";
import { createUapiDevice } from "./uapi/uapiDevice.ts";

declare const info: DrmPanthorGpuInfo;
declare const model: GpuModel;
declare const ram: PhysicalMemory;
declare const ctx: ActorContext;
declare const tasks: KernelTaskRunner;
declare const state: DriverState;

const probing = beginProbe(0);
const probed = gpuProbed(probing, info);
const registered = registerDevice(probed, 0);

drmNodeName(registered);
// @ts-expect-error a device that is only probed has no DRM node yet
drmNodeName(probed);
// @ts-expect-error a device still probing cannot be registered
registerDevice(probing, 0);
// @ts-expect-error a probing device has no GPU info to read
void probing.info;

// The driver's memory side (GEM, VMs, the MCU VM) is built by probe's MMU step, on a probed device…
createDriverState(probed, model, ram);
// @ts-expect-error …never while the GPU is still being probed
createDriverState(probing, model, ram);
// The uAPI side (DRM files, ioctls) exists only for a registered device.
createUapiDevice(ctx, tasks, registered, state);
// @ts-expect-error ioctls cannot reach a device that is only probed (no DRM node yet)
createUapiDevice(ctx, tasks, probed, state);
// @ts-expect-error nor one still probing
createUapiDevice(ctx, tasks, probing, state);
