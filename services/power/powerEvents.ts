import { z } from "zod";
import { defineEvent } from "../../shared/events/registry.ts";
import { energyEvents } from "./energyEvents.ts";
import { PowerDomainSchema } from "./powerDomain.ts";
import { supplyEvents } from "./supplyEvents.ts";

export { PowerDomainSchema, type PowerDomain } from "./powerDomain.ts";

const mask = z.number().int().nonnegative().max(0xffffffff);
const hz = z.number().int().positive();

/** Someone (the register file, on a `*_PWRON_LO` write) asked for cores of a domain to power up. */
export const PowerOnRequested = defineEvent(
  "PowerOnRequested",
  z.object({ domain: PowerDomainSchema, mask }),
  "A PWRON write: power up the cores of `mask` in `domain`.",
);

/** Someone asked for cores of a domain to power down (`*_PWROFF_LO`). */
export const PowerOffRequested = defineEvent(
  "PowerOffRequested",
  z.object({ domain: PowerDomainSchema, mask }),
  "A PWROFF write: power down the cores of `mask` in `domain`.",
);

/** A transition began: the cores of `trans` are in PWRTRANS until `doneAtNs`. */
export const PowerTransitionStarted = defineEvent(
  "PowerTransitionStarted",
  z.object({ domain: PowerDomainSchema, direction: z.enum(["up", "down"]), trans: mask, latencyNs: z.number().int().nonnegative() }),
  "Cores entered PWRTRANS; the transition completes after latencyNs.",
);

/** A transition completed (or a soft reset / supply loss cleared the domain): READY/PWRTRANS now read as given. */
export const PowerDomainChanged = defineEvent(
  "PowerDomainChanged",
  z.object({ domain: PowerDomainSchema, ready: mask, trans: mask }),
  "READY/PWRTRANS masks of a domain after a completed transition, a soft reset or a lost supply.",
);

/**
 * Why a power request was refused: `busy` (a transition is in flight), `not-present` (mask outside
 * *_PRESENT), `l2-off` (cores before L2), `cores-on` (L2 off under powered cores), `unclocked`
 * (the `core` clock is gated) and `unpowered` (the `mali` regulator is off).
 */
export const PowerRejectionSchema = z.enum(["busy", "not-present", "l2-off", "cores-on", "unclocked", "unpowered"]);

/** A request the power controller refused, and why (the driver broke a power-ordering rule). */
export const PowerRequestRejected = defineEvent(
  "PowerRequestRejected",
  z.object({ domain: PowerDomainSchema, mask, reason: PowerRejectionSchema }),
  "A power request broke a rule (supplies on, L2 before cores, one transition at a time, present cores only).",
);

/**
 * The driver's devfreq `target` (`panthor_devfreq_target()` → `dev_pm_opp_set_rate()`) asks for an
 * OPP by frequency. Only exact OPP frequencies are accepted: rounding to an OPP is the governor's
 * job (`devfreq_recommended_opp()`, shared/gpu/opp.ts), done before the request.
 */
export const FrequencyChangeRequested = defineEvent(
  "FrequencyChangeRequested",
  z.object({ hz }),
  "devfreq target: switch the GPU to the OPP at exactly `hz` (voltage and clock).",
);

/**
 * A frequency change refused: `unknown-opp`, a frequency the OPP table does not hold
 * (`dev_pm_opp_find_freq_exact()` → -ERANGE); `dvfs-stuck`, an injected fault pins the GPU at its
 * lowest OPP.
 */
export const FrequencyChangeRejected = defineEvent(
  "FrequencyChangeRejected",
  z.object({ hz, reason: z.enum(["unknown-opp", "dvfs-stuck"]) }),
  "A frequency change asked for a frequency that is not an OPP of the model, or DVFS is stuck (injected fault).",
);

/**
 * The GPU `core` clock now runs at `hz`; `microvolt` is that OPP's voltage (the `mali` rail is
 * already there when scaling up, and gets there one regulator settle time later when scaling
 * down). Shader cores take their execution rate from it. Published when `dev_pm_opp_set_rate()`
 * would call `clk_set_rate()`, and for every accepted request (also one for the current OPP, so a
 * requester always gets an answer); the boot OPP is in `powerInitialOpp()` and the snapshot.
 */
export const FrequencyChanged = defineEvent(
  "FrequencyChanged",
  z.object({ hz, microvolt: z.number().int().positive() }),
  "The GPU clock switched to an OPP: frequency and the OPP's voltage.",
);

/** Every power-controller event type: domains, frequency, supplies and energy. */
export const powerEvents = [
  PowerOnRequested,
  PowerOffRequested,
  PowerTransitionStarted,
  PowerDomainChanged,
  PowerRequestRejected,
  FrequencyChangeRequested,
  FrequencyChangeRejected,
  FrequencyChanged,
  ...supplyEvents,
  ...energyEvents,
] as const;
