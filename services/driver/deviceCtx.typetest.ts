// Compile-time checks of the device typestate: `npm run typecheck` fails if any expected-error
// line below stops being an error. Not a runtime test.
import type { DrmPanthorGpuInfo } from "../../shared/gpu/gpuInfo.ts";
import type { GpuModel } from "../../shared/gpu/model.ts";
import type { PhysicalMemory } from "../../shared/gpu/physicalMemory.ts";
import { beginProbe, drmNodeName, gpuProbed, registerDevice } from "./deviceCtx.ts";
import { createDriverState } from "./uapi/driverState.ts";

declare const info: DrmPanthorGpuInfo;
declare const model: GpuModel;
declare const ram: PhysicalMemory;

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

// The uAPI side (DRM files, ioctls, GEM, VMs) exists only for a registered device.
createDriverState(registered, model, ram);
// @ts-expect-error ioctls cannot reach a device that is only probed (no DRM node yet)
createDriverState(probed, model, ram);
// @ts-expect-error nor one still probing
createDriverState(probing, model, ram);
