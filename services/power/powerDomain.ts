import { z } from "zod";

/** The power domains of a Mali CSF GPU, as the PWRON/PWROFF register groups name them (`L2_PWRON_LO`, `TILER_…`, `SHADER_…`). */
export const PowerDomainSchema = z.enum(["l2", "tiler", "shader"]);

/** A power domain. */
export type PowerDomain = z.infer<typeof PowerDomainSchema>;

/** The domains in the order the controller creates, reports and integrates them. */
export const POWER_DOMAINS: readonly PowerDomain[] = PowerDomainSchema.options;
