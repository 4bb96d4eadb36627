import { assign, setup } from "xstate";
import { ERRNO } from "../../shared/gpu/errno.ts";

/** A clock (DT `clock-names`) or a regulator (DT `*-supply`). */
export type SupplyKind = "clock" | "regulator";

/** How an armed fault fires: once, on the next enable, or on every enable. */
export type SupplyFaultMode = "next-enable" | "always";

/**
 * The errno a failing enable returns, negated as the kernel returns it. A clock: `-ETIMEDOUT`,
 * what a Rockchip PLL that does not lock gives (`rockchip_rk3036_pll_wait_lock()` via
 * `readl_relaxed_poll_timeout()`, returned up through `clk_prepare_enable()`). A regulator:
 * `-EIO`, a failed PMIC bus transfer in `regulator_enable_regmap()` (the RK806 behind `vdd_gpu_s0`
 * sits on SPI), returned by `regulator_enable()`.
 */
export const SUPPLY_ENABLE_ERRNO: Readonly<Record<SupplyKind, number>> = {
  clock: -ERRNO.ETIMEDOUT,
  regulator: -ERRNO.EIO,
};

/** Static description of one supply. */
export interface SupplySpec {
  readonly kind: SupplyKind;
  readonly name: string;
  /** Time from enable to a good output (`regulator-enable-ramp-delay`); 0 for clocks. */
  readonly enableRampNs: number;
  /** Start enabled, as the bootloader leaves it (`regulator-boot-on`, clocks left running). */
  readonly initiallyEnabled: boolean;
}

/** What the supply machine reports to its actor. */
export interface SupplyDeps {
  /** The supply's state after an accepted request (also when it did not change: the request's answer). */
  readonly changed: (enabled: boolean) => void;
  /** An enable failed with a (negative) errno; the supply stays off. */
  readonly failed: (errno: number) => void;
}

type SupplyEvent = { type: "ENABLE" } | { type: "DISABLE" } | { type: "ARM"; mode: SupplyFaultMode };

interface SupplyContext {
  fault: SupplyFaultMode | "none";
}

/**
 * One GPU clock or regulator: `disabled` ↔ `enabled`, through `enabling` while a regulator's
 * output ramps (`_regulator_enable_delay()`: `regulator_enable()` returns only after
 * `regulator-enable-ramp-delay`), and `failed` after an enable returned an error (off, like
 * `disabled`; the next enable tries again). An armed fault makes the next or every enable fail
 * at once, as a driver op's error does.
 *
 * Simplified: no prepare/enable reference counts (`enable_count`, `use_count`) — one disable turns
 * the supply off, and an enable of an enabled supply just answers `enabled`. Clock rates are the
 * frequency machine's business; regulator voltages too (both follow the OPP).
 */
export function createSupplyMachine(spec: SupplySpec, deps: SupplyDeps) {
  return setup({
    types: {} as { context: SupplyContext; events: SupplyEvent },
    guards: {
      faultArmed: ({ context }) => context.fault !== "none",
      instant: () => spec.enableRampNs === 0,
    },
    actions: {
      arm: assign(({ event }) => ({ fault: event.type === "ARM" ? event.mode : "none" })),
      fail: assign(({ context }) => {
        deps.failed(SUPPLY_ENABLE_ERRNO[spec.kind]);
        return { fault: context.fault === "always" ? "always" : "none" };
      }),
      reportEnabled: () => deps.changed(true),
      reportDisabled: () => deps.changed(false),
    },
    delays: {
      ENABLE_RAMP: () => spec.enableRampNs / 1_000_000,
    },
  }).createMachine({
    id: `supply-${spec.kind}-${spec.name}`,
    context: { fault: "none" },
    initial: spec.initiallyEnabled ? "enabled" : "disabled",
    on: { ARM: { actions: "arm" } },
    states: {
      disabled: {
        on: {
          ENABLE: [
            { guard: "faultArmed", target: "failed", actions: "fail" },
            { guard: "instant", target: "enabled", actions: "reportEnabled" },
            { target: "enabling" },
          ],
          DISABLE: { actions: "reportDisabled" },
        },
      },
      enabling: {
        after: { ENABLE_RAMP: { target: "enabled", actions: "reportEnabled" } },
        // A second enable is answered when the ramp ends; a disable aborts the ramp.
        on: { DISABLE: { target: "disabled", actions: "reportDisabled" } },
      },
      enabled: {
        on: {
          ENABLE: { actions: "reportEnabled" },
          DISABLE: { target: "disabled", actions: "reportDisabled" },
        },
      },
      failed: {
        on: {
          ENABLE: [
            { guard: "faultArmed", actions: "fail" },
            { guard: "instant", target: "enabled", actions: "reportEnabled" },
            { target: "enabling" },
          ],
          DISABLE: { target: "disabled", actions: "reportDisabled" },
        },
      },
    },
  });
}
