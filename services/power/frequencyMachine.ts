import { assign, enqueueActions, setup } from "xstate";
import type { Opp } from "../../shared/gpu/model.ts";
import { oppSwitchOrder, voltageSettleNs } from "./dvfs.ts";

/** What the frequency machine needs from its actor. */
export interface FrequencyDeps {
  /** The `mali` rail (and the coupled `sram` rail) now has setpoint `microvolt`. */
  readonly voltageSet: (microvolt: number) => void;
  /** The `core` clock now runs at `opp.hz` (the switch's visible end for the shader cores). */
  readonly clockSet: (opp: Opp) => void;
}

/** Static description: where the GPU starts and how fast its rail ramps. */
export interface FrequencyConfig {
  readonly initialOpp: Opp;
  /** DT `regulator-ramp-delay` of the `mali` rail, µV/µs. */
  readonly rampMicrovoltPerUs: number;
}

type FrequencyEvent = { type: "SET"; opp: Opp };

interface FrequencyContext {
  /** The `core` clock's rate. */
  hz: number;
  /** The `mali` rail's setpoint. */
  microvolt: number;
  /** The OPP being switched to. */
  target: Opp;
  settleNs: number;
  /** Requests that arrived during a switch, applied in order after it. */
  queue: Opp[];
}

/**
 * The GPU's operating point: the `core` clock rate and the `mali` rail voltage, switched as
 * `dev_pm_opp_set_rate()` → `_set_opp()` does — raise the voltage, wait for the rail to settle
 * (`_regulator_set_voltage_time()`), then raise the clock; or lower the clock, then the voltage and
 * wait. States: `stable`, `raisingVoltage` (rail going up, clock still old), `loweringVoltage`
 * (clock already down, rail settling). The kernel serialises rate changes (devfreq's mutex and the
 * OPP table's lock), so a request during a switch waits for it, in order.
 */
export function createFrequencyMachine(config: FrequencyConfig, deps: FrequencyDeps) {
  return setup({
    types: {} as { context: FrequencyContext; events: FrequencyEvent },
    guards: {
      clockOnly: ({ context, event }) => oppSwitchOrder(current(context), event.opp) === "clock-only",
      scalingUp: ({ context, event }) => oppSwitchOrder(current(context), event.opp) === "voltage-then-clock",
    },
    actions: {
      aim: assign(({ context, event }) => ({
        target: event.opp,
        settleNs: voltageSettleNs(context.microvolt, event.opp.microvolt, config.rampMicrovoltPerUs),
      })),
      stepVoltage: assign(({ context }) => {
        deps.voltageSet(context.target.microvolt);
        return { microvolt: context.target.microvolt };
      }),
      switchClock: assign(({ context }) => {
        deps.clockSet(context.target);
        return { hz: context.target.hz };
      }),
      enqueue: assign(({ context, event }) => ({ queue: [...context.queue, event.opp] })),
      next: enqueueActions(({ context, enqueue }) => {
        const [head, ...rest] = context.queue;
        if (head === undefined) return;
        enqueue.assign({ queue: rest });
        enqueue.raise({ type: "SET", opp: head });
      }),
    },
    delays: {
      SETTLE: ({ context }) => context.settleNs / 1_000_000,
    },
  }).createMachine({
    id: "frequency",
    context: {
      hz: config.initialOpp.hz,
      microvolt: config.initialOpp.microvolt,
      target: config.initialOpp,
      settleNs: 0,
      queue: [],
    },
    initial: "stable",
    states: {
      stable: {
        on: {
          SET: [
            { guard: "clockOnly", actions: ["aim", "switchClock"] },
            { guard: "scalingUp", target: "raisingVoltage", actions: ["aim", "stepVoltage"] },
            { target: "loweringVoltage", actions: ["aim", "switchClock"] },
          ],
        },
      },
      raisingVoltage: {
        after: { SETTLE: { target: "stable", actions: ["switchClock", "next"] } },
        on: { SET: { actions: "enqueue" } },
      },
      loweringVoltage: {
        after: { SETTLE: { target: "stable", actions: ["stepVoltage", "next"] } },
        on: { SET: { actions: "enqueue" } },
      },
    },
  });
}

/** The OPP the GPU runs at now (clock and rail as they are, mid-switch included). */
function current(context: FrequencyContext): Opp {
  return { hz: context.hz, microvolt: context.microvolt };
}
