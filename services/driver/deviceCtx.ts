import type { DrmPanthorGpuInfo } from "../../shared/gpu/gpuInfo.ts";

declare const stage: unique symbol;

/**
 * The driver's device in a typed lifecycle stage — the typestate Tyr uses to solve the
 * chicken-and-egg between the DRM device and the driver's private data (`DeviceCtx`):
 * `probing` while hardware is brought up, `probed` once the GPU answered (its info known), and
 * `registered` once `drm_dev_register()` succeeded. Code that needs a registered device (the ioctl
 * table, opening files) takes `DeviceCtx<"registered">`, so calling it with a device that is only
 * probed does not compile.
 */
export type DeviceCtx<S extends DeviceStage> = {
  readonly [stage]: S;
  readonly gpu: number;
} & (S extends "probing" ? object : { readonly info: DrmPanthorGpuInfo }) &
  (S extends "registered" ? { readonly minor: number } : object);

/** Lifecycle stages of the device. */
export type DeviceStage = "probing" | "probed" | "registered";

/** A device whose probe has begun. */
export function beginProbe(gpu: number): DeviceCtx<"probing"> {
  return { gpu } as DeviceCtx<"probing">;
}

/** The GPU answered: its info is known (`panthor_gpu_init_info`). */
export function gpuProbed(dev: DeviceCtx<"probing">, info: DrmPanthorGpuInfo): DeviceCtx<"probed"> {
  return { gpu: dev.gpu, info } as DeviceCtx<"probed">;
}

/** `drm_dev_register()`: only a probed device can be registered. */
export function registerDevice(dev: DeviceCtx<"probed">, minor: number): DeviceCtx<"registered"> {
  return { gpu: dev.gpu, info: dev.info, minor } as DeviceCtx<"registered">;
}

/** The DRM node name of a registered device — callable only once it is registered. */
export function drmNodeName(dev: DeviceCtx<"registered">): string {
  return `/dev/dri/card${dev.minor}`;
}
