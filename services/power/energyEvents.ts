import { z } from "zod";
import { defineEvent } from "../../shared/events/registry.ts";
import { PowerDomainSchema } from "./powerDomain.ts";

/**
 * How busy a domain's powered units are, from 0 (idle) to 1 (every powered unit busy every
 * cycle), from now until the next report. Anyone may publish it on `gpu<N>.pwr.util`: the shader
 * cores for `shader` (busy time over their window, as `panthor_devfreq_get_dev_status()` would
 * see it), the firmware or tiler for the others. A domain nobody reports on counts as idle.
 */
export const DomainUtilisationReported = defineEvent(
  "DomainUtilisationReported",
  z.object({ domain: PowerDomainSchema, utilisation: z.number().min(0).max(1) }),
  "Utilisation (0..1) of a power domain's powered units from now on, for the energy model.",
);

/** Ask the power controller for its energy so far (answered with `EnergyReported`). */
export const EnergyReportRequested = defineEvent("EnergyReportRequested", z.object({}), "Ask for the energy used so far.");

const joules = z.number().nonnegative();
const domainEnergy = z.object({ staticJoules: joules, dynamicJoules: joules, joules });

/** Energy used since the start of the run, in joules, in total and per domain (static + dynamic). */
export const EnergyReported = defineEvent(
  "EnergyReported",
  z.object({
    totalJoules: joules,
    perDomain: z.object({ l2: domainEnergy, tiler: domainEnergy, shader: domainEnergy }),
  }),
  "Energy used since the run started, total and per domain (static and dynamic), in joules.",
);

/** The energy event types. */
export const energyEvents = [DomainUtilisationReported, EnergyReportRequested, EnergyReported] as const;
