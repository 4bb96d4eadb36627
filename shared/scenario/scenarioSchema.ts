import { z } from "zod";
import { DurationSchema } from "./duration.ts";

/**
 * One scripted input of a scenario: at a virtual time, an event of a registered type is published
 * on a subject path of the run (the scripted driver of the early issues, and the fault schedule).
 */
export const ScenarioStepSchema = z.strictObject({
  at: DurationSchema,
  /** Registered event type, e.g. `PowerOnRequested`. */
  type: z.string().min(1),
  /** Subject path inside the run, e.g. `gpu0.pwr.cmd`; `{gpu}` stands for each GPU of a fleet (`gpu{gpu}.pwr.cmd`). */
  path: z.string().min(1),
  payload: z.unknown().default({}),
  /** Repeat the step this many times in all (default once)… */
  count: z.number().int().min(1).default(1),
  /** …this far apart (required when count > 1). */
  every: DurationSchema.optional(),
}).refine((s) => s.count === 1 || s.every !== undefined, { message: "a step with count > 1 needs 'every'", path: ["every"] });

/** A scenario file (YAML), validated with errors that name file, line and field. */
export const ScenarioSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "lower-case letters, digits and dashes"),
  description: z.string().default(""),
  /** GPU model name (a file in shared/gpu/models) for every simulated GPU. */
  model: z.string().default("mali-g610-rk3588"),
  /** Default seed when the command line gives none. */
  seed: z.number().int().nonnegative().default(1),
  /** How much virtual time to simulate. */
  duration: DurationSchema,
  /** Number of simulated GPUs. */
  gpus: z.number().int().min(1).max(256).default(1),
  /** Relative jitter of hardware latencies drawn from the seeded PRNG (0 = none). */
  jitter: z.number().min(0).max(0.5).default(0),
  /** GPU clocks and regulators at the start: `on` as a bootloader leaves them, `off` for a cold probe whose enables can fail. */
  supplies: z.enum(["on", "off"]).default("on"),
  steps: z.array(ScenarioStepSchema).default([]),
});

/** A validated scenario (durations in ns). */
export type Scenario = z.infer<typeof ScenarioSchema>;
/** One validated step. */
export type ScenarioStep = z.infer<typeof ScenarioStepSchema>;
