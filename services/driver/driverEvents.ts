import { z } from "zod";
import { defineEvent } from "../../shared/events/registry.ts";

/** Subject paths of the driver instance bound to GPU N (`drv<N>`: the DRM device card N). */
export const driverPaths = (gpu: number) => ({
  /** `DeviceBindRequested`: the platform bus matched the GPU node; probe starts. */
  bind: `drv${gpu}.bind`,
  /** Probe progress and outcome. */
  probe: `drv${gpu}.probe`,
  /** `DrmDeviceRegistered`. */
  device: `drv${gpu}.device`,
});

/** The probe steps, in Tyr's and Panthor's order (`tyr::driver::probe`, `panthor_device_init`). */
export const ProbeStepSchema = z.enum(["clocks", "regulators", "mmio", "soft-reset", "l2-power", "gpu-info", "mmu", "firmware", "sched", "drm-register"]);
/** A probe step. */
export type ProbeStep = z.infer<typeof ProbeStepSchema>;

const errno = z.number().int().negative();

/** The platform bus bound the driver to the GPU's DT node: probe begins. */
export const DeviceBindRequested = defineEvent("DeviceBindRequested", z.object({}), "The platform driver core calls probe() for the GPU node.");

/** A probe step finished. */
export const ProbeStepCompleted = defineEvent("ProbeStepCompleted", z.object({ step: ProbeStepSchema, detail: z.string() }), "A probe step succeeded.");

/** A probe step failed with a (negative) errno; unwinding follows. */
export const ProbeStepFailed = defineEvent(
  "ProbeStepFailed",
  z.object({ step: ProbeStepSchema, errno, detail: z.string() }),
  "A probe step failed; what was set up is undone in reverse order.",
);

/** What an earlier step set up was undone (devm-style reverse unwinding). */
export const ProbeStepUnwound = defineEvent(
  "ProbeStepUnwound",
  z.object({ step: ProbeStepSchema, what: z.string() }),
  "Something a completed probe step set up was undone after a later failure.",
);

/** Probe failed: the device is not bound. */
export const DeviceProbeFailed = defineEvent(
  "DeviceProbeFailed",
  z.object({ step: ProbeStepSchema, errno }),
  "probe() returned an error; everything set up was released.",
);

/** The DRM device exists: `/dev/dri/card<N>` and its render node can be opened. */
export const DrmDeviceRegistered = defineEvent(
  "DrmDeviceRegistered",
  z.object({ name: z.string(), version: z.string(), gpuId: z.number().int().nonnegative(), shaderPresent: z.number().int().nonnegative() }),
  "drm_dev_register() succeeded; userspace can open the device.",
);

/** Every driver event type. */
export const driverEvents = [DeviceBindRequested, ProbeStepCompleted, ProbeStepFailed, ProbeStepUnwound, DeviceProbeFailed, DrmDeviceRegistered] as const;
