/**
 * The driver's power policy — what Tyr lacks (panthor.md §6.4) and panthor has: devfreq with the
 * simple_ondemand governor over the OPP table, and runtime PM with a 50 ms autosuspend. One
 * object the driver actor creates once the device is registered; it starts both, routes the
 * events they need and gates the requests that need the GPU powered.
 */
import type { ActorContext } from "../../../shared/actor/actor.ts";
import type { Envelope } from "../../../shared/events/envelope.ts";
import type { GpuModel } from "../../../shared/gpu/model.ts";
import { maxOpp } from "../../../shared/gpu/opp.ts";
import { initialOppOf } from "../../power/powerConfig.ts";
import { shaderPaths } from "../../shader/shaderPaths.ts";
import type { DeviceCtx } from "../deviceCtx.ts";
import type { KernelTaskRunner } from "../ktaskRunner.ts";
import type { DriverState } from "../uapi/driverState.ts";
import { uapiPaths } from "../uapi/uapiPaths.ts";
import { clocksInEnableOrder } from "./clocks.ts";
import { pinFrequency, startDevfreq, type Devfreq } from "./devfreq.ts";
import { pmPaths } from "./pmEvents.ts";
import type { RuntimePm } from "./pmHooks.ts";
import { createRuntimePm } from "./runtimePm.ts";
import { PANTHOR_ONDEMAND, type SimpleOndemandData } from "./simpleOndemand.ts";
import { createSubmissionGate } from "./submissionGate.ts";

const MS = 1_000_000;

/** panthor's numbers (panthor.md §11): 50 ms autosuspend, 50 ms polling, simple_ondemand 45/5. */
export const PANTHOR_PM_DEFAULTS = { autosuspendDelayNs: 50 * MS, pollingNs: 50 * MS, governor: PANTHOR_ONDEMAND } as const;

/** Driver options of the power policy; everything defaults to panthor's behaviour. */
export interface PowerPolicyOptions {
  /** The devfreq governor (default on). Off pins the GPU at `fixedHz` — the policy-off baseline of comparisons. */
  readonly devfreq?: boolean;
  /** The OPP (exact Hz) the GPU is pinned at with devfreq off; default the fastest, as the `performance` governor. */
  readonly fixedHz?: number;
  /** Runtime PM with autosuspend (default on). Off = `pm_runtime_forbid()`: the GPU stays powered. */
  readonly runtimePm?: boolean;
  readonly autosuspendDelayNs?: number;
  readonly pollingNs?: number;
  readonly governor?: SimpleOndemandData;
}

/** The subjects the driver listens to for its power policy. */
export function powerPolicySubscriptions(gpu: number): string[] {
  const u = uapiPaths(gpu);
  return [shaderPaths(gpu).util, pmPaths(gpu).submit, u.ioctlDone, u.vmState];
}

/** The policy as the driver actor uses it. */
export interface PowerPolicy {
  /** Runtime PM, for the submission side (`pm_runtime_*` calls and `attachDevice`). */
  readonly runtime: RuntimePm;
  /** Before the uAPI sees `e`: true when it must wait for the GPU to resume (`forward` delivers it then). */
  defer(e: Envelope, forward: () => void): boolean;
  /** Every event the driver receives. */
  handle(e: Envelope): void;
  snapshot(): unknown;
}

/** Start devfreq and runtime PM for a registered device (the end of `panthor_device_init()`). */
export function createPowerPolicy(
  ctx: ActorContext,
  tasks: KernelTaskRunner,
  dev: DeviceCtx<"registered">,
  model: GpuModel,
  mm: DriverState,
  opts: PowerPolicyOptions = {},
): PowerPolicy {
  const setup = { ctx, tasks, gpu: dev.gpu, table: model.opp_table, initialHz: initialOppOf(model.opp_table).hz };
  const devfreq: Devfreq =
    opts.devfreq === false
      ? pinFrequency(setup, opts.fixedHz ?? maxOpp(model.opp_table).hz)
      : startDevfreq(setup, { pollingNs: opts.pollingNs ?? PANTHOR_PM_DEFAULTS.pollingNs, governor: opts.governor ?? PANTHOR_PM_DEFAULTS.governor });
  const runtime = createRuntimePm(
    ctx,
    tasks,
    {
      gpu: dev.gpu,
      clocks: clocksInEnableOrder(model.clocks.map((c) => c.name)),
      l2Present: dev.info.l2_present,
      coherency: dev.info.selected_coherency,
      mm,
      devfreqSuspend: () => devfreq.suspend(),
      devfreqResume: () => devfreq.resume(),
    },
    { autosuspendDelayNs: opts.autosuspendDelayNs ?? PANTHOR_PM_DEFAULTS.autosuspendDelayNs, enabled: opts.runtimePm !== false },
  );
  const gate = createSubmissionGate(ctx, tasks, runtime, mm);
  return {
    runtime,
    defer: (e, forward) => gate.defer(e, forward),
    handle(e) {
      devfreq.observe(e);
      gate.handle(e);
    },
    snapshot: () => ({ runtimePm: runtime.snapshot(), devfreq: devfreq.snapshot(), gate: gate.snapshot() }),
  };
}
