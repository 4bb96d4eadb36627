/**
 * The GPU's devfreq device inside the driver actor (`panthor_devfreq.c` over
 * drivers/devfreq/devfreq.c): a delayed-work monitor polling every 50 ms (the lifecycle machine
 * of `devfreqMachine.ts`), whose pass is a kernel task — `get_dev_status` asks the shader cores
 * for their utilisation, `simple_ondemand` picks a frequency, `update_devfreq()` rounds it to an
 * OPP and `panthor_devfreq_target()` asks the power controller for it, waiting until the clock
 * has switched (`dev_pm_opp_set_rate()` is synchronous).
 *
 * Simplified: the request is skipped when the OPP would not change (`_set_opp()` returns early
 * for the current OPP, and devfreq notifies nothing but a trace); no devfreq cooling, PM QoS or
 * sysfs limits; `trans_stat` keeps counts, not time in state.
 */
import type { ActorContext } from "../../../shared/actor/actor.ts";
import { hostMachine, type HostedMachine } from "../../../shared/actor/hostedMachine.ts";
import { sendChecked } from "../../../shared/actor/xstateHost.ts";
import type { Envelope } from "../../../shared/events/envelope.ts";
import { EventRegistry } from "../../../shared/events/registry.ts";
import type { Opp } from "../../../shared/gpu/model.ts";
import { FrequencyChanged, FrequencyChangeRejected, FrequencyChangeRequested } from "../../power/powerEvents.ts";
import { powerPaths } from "../../power/powerService.ts";
import { ShaderUtilisationReported, ShaderUtilisationRequested } from "../../shader/shaderEvents.ts";
import { shaderPaths } from "../../shader/shaderPaths.ts";
import { emit, nowNs, waitEvent, waitFor, type KTask } from "../ktask.ts";
import type { KernelTaskRunner } from "../ktaskRunner.ts";
import { devfreqRecommendedTarget, loadOf, panthorDevStatus } from "./devfreqCore.ts";
import { createDevfreqMachine } from "./devfreqMachine.ts";
import { DevfreqTransition, pmPaths } from "./pmEvents.ts";
import { immediately } from "./pmHooks.ts";
import { devfreqSimpleOndemandFunc, type SimpleOndemandData } from "./simpleOndemand.ts";

/** How long a pass waits for the shader cores' answer and for the clock switch (assumed; both come within µs). */
export const DEVFREQ_ANSWER_TIMEOUT_NS = 10_000_000;

/** What runtime PM and the driver see of devfreq. */
export interface Devfreq {
  /** Track the `core` clock (`FrequencyChanged`), whoever switched it. */
  observe(e: Envelope): void;
  /** `panthor_devfreq_suspend()` → `devfreq_suspend_device()`: stop polling, waiting for a pass in flight. */
  suspend(): KTask<void>;
  /** `panthor_devfreq_resume()`: reset the counters, `devfreq_resume_device()`. */
  resume(): KTask<void>;
  snapshot(): unknown;
}

/** Where devfreq runs and what it scales. */
export interface DevfreqSetup {
  readonly ctx: ActorContext;
  readonly tasks: KernelTaskRunner;
  readonly gpu: number;
  readonly table: readonly Opp[];
  /** The `core` clock's rate when devfreq starts (the initial OPP). */
  readonly initialHz: number;
}

/** Tunables: `polling_ms` and the governor's data. */
export interface DevfreqTunables {
  readonly pollingNs: number;
  readonly governor: SimpleOndemandData;
}

/** `devm_devfreq_add_device()` with the simple_ondemand governor: the monitor starts polling now. */
export function startDevfreq(s: DevfreqSetup, t: DevfreqTunables): Devfreq {
  let curHz = s.initialHz;
  let resetAtNs = s.ctx.nowNs();
  let lastLoad = 0;
  let polls = 0;
  const transStat: Record<string, number> = {};
  const machine: HostedMachine<ReturnType<typeof createDevfreqMachine>> = hostMachine(
    s.ctx,
    createDevfreqMachine(t.pollingNs, {
      startUpdate: () =>
        s.tasks.start("devfreq-monitor", updateDevfreq(), () => sendChecked(machine, { type: "UPDATED" }), (e) => {
          sendChecked(machine, { type: "UPDATED" });
          throw e;
        }),
      resetCounters: () => (resetAtNs = s.ctx.nowNs()),
    }),
    { id: `${s.ctx.name}.devfreq` },
  );

  /** `update_devfreq()` with panthor's `get_dev_status` and `target`. */
  function* updateDevfreq(): KTask<void> {
    polls++;
    const now = yield* nowNs();
    yield* emit(ShaderUtilisationRequested, shaderPaths(s.gpu).utilRequest, {});
    const window = yield* waitFor((e) => (EventRegistry.is(ShaderUtilisationReported, e) ? e.payload : undefined), DEVFREQ_ANSWER_TIMEOUT_NS);
    if (window === undefined) return; // get_dev_status failed: devfreq logs it and polls again.
    const stat = panthorDevStatus(window, curHz, now, resetAtNs);
    resetAtNs = now;
    lastLoad = loadOf(stat);
    const opp = devfreqRecommendedTarget(s.table, devfreqSimpleOndemandFunc(stat, t.governor));
    if (opp.hz === stat.currentFrequency) return;
    yield* emit(FrequencyChangeRequested, powerPaths(s.gpu).cmd, { hz: opp.hz });
    const switched = yield* waitFor((e) => {
      if (EventRegistry.is(FrequencyChanged, e) && e.payload.hz === opp.hz) return true;
      if (EventRegistry.is(FrequencyChangeRejected, e) && e.payload.hz === opp.hz) return false;
      return undefined;
    }, DEVFREQ_ANSWER_TIMEOUT_NS);
    if (switched !== true) return;
    const key = `${stat.currentFrequency}->${opp.hz}`;
    transStat[key] = (transStat[key] ?? 0) + 1;
    yield* emit(DevfreqTransition, pmPaths(s.gpu).devfreq, { from: stat.currentFrequency, to: opp.hz, load: lastLoad });
  }

  return {
    observe(e) {
      if (EventRegistry.is(FrequencyChanged, e)) curHz = e.payload.hz;
    },
    *suspend() {
      sendChecked(machine, { type: "SUSPEND" });
      yield* waitEvent(() => (machine.getSnapshot().matches("suspended") ? true : undefined), Infinity);
    },
    resume() {
      sendChecked(machine, { type: "RESUME" });
      return immediately(undefined);
    },
    snapshot: () => ({ governor: "simple_ondemand", state: machine.getSnapshot().value, curHz, polls, lastLoad, transStat: { ...transStat } }),
  };
}

/**
 * No governor: the GPU is pinned at `hz` once (as the `performance` or `userspace` governor
 * would), for comparisons with the policy off. Suspend and resume have nothing to do.
 */
export function pinFrequency(s: DevfreqSetup, hz: number): Devfreq {
  let curHz = s.initialHz;
  if (hz !== curHz) s.tasks.start("devfreq-pin", emit(FrequencyChangeRequested, powerPaths(s.gpu).cmd, { hz }), () => {});
  return {
    observe(e) {
      if (EventRegistry.is(FrequencyChanged, e)) curHz = e.payload.hz;
    },
    suspend: () => immediately(undefined),
    resume: () => immediately(undefined),
    snapshot: () => ({ governor: "none", pinnedHz: hz, curHz }),
  };
}
