import { z } from "zod";
import { defineEvent } from "../../shared/events/registry.ts";

/** The power domains of a Mali CSF GPU, as the PWRON/PWROFF register groups name them. */
export const PowerDomainSchema = z.enum(["l2", "tiler", "shader"]);
/** A power domain. */
export type PowerDomain = z.infer<typeof PowerDomainSchema>;

const mask = z.number().int().nonnegative().max(0xffffffff);

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

/** A transition completed: the domain's READY and PWRTRANS masks now read as given. */
export const PowerDomainChanged = defineEvent(
  "PowerDomainChanged",
  z.object({ domain: PowerDomainSchema, ready: mask, trans: mask }),
  "READY/PWRTRANS masks of a domain after a completed transition.",
);

/** A request the power controller refused, and why (the driver broke a power-ordering rule). */
export const PowerRequestRejected = defineEvent(
  "PowerRequestRejected",
  z.object({
    domain: PowerDomainSchema,
    mask,
    reason: z.enum(["busy", "not-present", "l2-off", "cores-on"]),
  }),
  "A power request broke a rule (L2 before cores, one transition at a time, present cores only).",
);

/** Every power-controller event type. */
export const powerEvents = [PowerOnRequested, PowerOffRequested, PowerTransitionStarted, PowerDomainChanged, PowerRequestRejected] as const;
