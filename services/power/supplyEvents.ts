import { z } from "zod";
import { defineEvent } from "../../shared/events/registry.ts";

/**
 * Events of the GPU's clocks and regulators. Names are the DT `clock-names` (`core`, `stacks`,
 * `coregroup`) and supply names (`mali`, `sram`) of the model file; a name the model lacks is
 * answered with `PowerSupplyRequestRejected`.
 */

const name = z.string().min(1);
/** A kernel error return: the negated errno of shared/gpu/errno.ts (`-ETIMEDOUT` = -110). */
const kernelErrno = z.number().int().negative();

/** `clk_prepare_enable()` on a GPU clock. */
export const ClockEnableRequested = defineEvent("ClockEnableRequested", z.object({ clock: name }), "clk_prepare_enable() on a GPU clock.");

/** `clk_disable_unprepare()` on a GPU clock. */
export const ClockDisableRequested = defineEvent("ClockDisableRequested", z.object({ clock: name }), "clk_disable_unprepare() on a GPU clock.");

/** `regulator_enable()` on a GPU supply. */
export const RegulatorEnableRequested = defineEvent(
  "RegulatorEnableRequested",
  z.object({ regulator: name }),
  "regulator_enable() on a GPU supply.",
);

/** `regulator_disable()` on a GPU supply. */
export const RegulatorDisableRequested = defineEvent(
  "RegulatorDisableRequested",
  z.object({ regulator: name }),
  "regulator_disable() on a GPU supply.",
);

/** A clock's gate after an accepted request (published for every accepted request, changed or not). */
export const ClockStateChanged = defineEvent(
  "ClockStateChanged",
  z.object({ clock: name, enabled: z.boolean() }),
  "A GPU clock is now enabled or gated.",
);

/** A regulator's output after an accepted request or a voltage step of an OPP change. */
export const RegulatorStateChanged = defineEvent(
  "RegulatorStateChanged",
  z.object({ regulator: name, enabled: z.boolean(), microvolt: z.number().int().positive() }),
  "A GPU supply is now enabled or disabled, at the given voltage setpoint.",
);

/** `clk_prepare_enable()` returned an error; the clock stays gated. */
export const ClockEnableFailed = defineEvent(
  "ClockEnableFailed",
  z.object({ name, errno: kernelErrno }),
  "Enabling a GPU clock failed with a (negative) errno; the clock stays gated.",
);

/** `regulator_enable()` returned an error; the supply stays off. */
export const RegulatorEnableFailed = defineEvent(
  "RegulatorEnableFailed",
  z.object({ name, errno: kernelErrno }),
  "Enabling a GPU supply failed with a (negative) errno; the supply stays off.",
);

/** Which kind of supply a fault or rejection is about. */
export const SupplyKindSchema = z.enum(["clock", "regulator"]);

/**
 * Fault injection: make the next (`next-enable`) or every (`always`) enable of a supply fail. On
 * `gpu<N>.pwr.cmd` it applies to that GPU; on `fault.inject` (the injector's path) to GPU `gpu`
 * (default 0).
 */
export const PowerSupplyFaultArmed = defineEvent(
  "PowerSupplyFaultArmed",
  z.object({
    target: SupplyKindSchema,
    name,
    mode: z.enum(["next-enable", "always"]),
    gpu: z.number().int().nonnegative().optional(),
  }),
  "Fault injection: the next or every enable of a clock or regulator fails.",
);

/** A request or fault naming a clock or regulator the GPU model does not have. */
export const PowerSupplyRequestRejected = defineEvent(
  "PowerSupplyRequestRejected",
  z.object({ target: SupplyKindSchema, name, reason: z.enum(["absent"]) }),
  "A clock or regulator request named a supply the GPU model does not list.",
);

/** The supply event types. */
export const supplyEvents = [
  ClockEnableRequested,
  ClockDisableRequested,
  RegulatorEnableRequested,
  RegulatorDisableRequested,
  ClockStateChanged,
  RegulatorStateChanged,
  ClockEnableFailed,
  RegulatorEnableFailed,
  PowerSupplyFaultArmed,
  PowerSupplyRequestRejected,
] as const;
