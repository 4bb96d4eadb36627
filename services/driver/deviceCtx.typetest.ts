// Compile-time checks of the device typestate: `npm run typecheck` fails if any expected-error
// line below stops being an error. Not a runtime test.
import type { DrmPanthorGpuInfo } from "../../shared/gpu/gpuInfo.ts";
import { beginProbe, drmNodeName, gpuProbed, registerDevice } from "./deviceCtx.ts";

declare const info: DrmPanthorGpuInfo;

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
