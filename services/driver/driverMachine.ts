import { setup } from "xstate";

/** Events of the device lifecycle machine. */
export type DeviceLifecycleEvent = { type: "BIND" } | { type: "PROBED" } | { type: "PROBE_FAILED" };

/**
 * The driver's device lifecycle (the platform driver's view): `unbound` until the bus binds it,
 * `probing` while the probe task runs, then `bound` (DRM device registered) or `failed` (probe
 * returned an error and unwound). A second bind while probing or bound is ignored, as the driver
 * core never calls probe twice for one device.
 */
export const deviceLifecycleMachine = setup({
  types: {} as { events: DeviceLifecycleEvent },
}).createMachine({
  id: "device",
  initial: "unbound",
  states: {
    unbound: { on: { BIND: "probing" } },
    probing: { on: { PROBED: "bound", PROBE_FAILED: "failed" } },
    bound: {},
    // A failed probe can be retried by binding again (deferred probe, or a fixed supply).
    failed: { on: { BIND: "probing" } },
  },
});
