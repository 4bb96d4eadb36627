import { z } from "zod";
import { defineEvent } from "../../shared/events/registry.ts";
import { Base64Schema } from "../memory/memoryEvents.ts";
import { AccessRangeSchema, AsSchema, MmuFaultSchema } from "../mmu/mmuEvents.ts";

const job = z.string().min(1);
const coreMask = z.number().int().nonnegative().max(0xffffffff);
const va = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** The kinds of work the CSF firmware hands the cores (compute, vertex/tiler, fragment). */
export const JobKindSchema = z.enum(["compute", "vertex", "fragment"]);

/**
 * The firmware (issue 4; a test stands in today) dispatches a job to the shader cores: which AS
 * it runs in, which cores it may use, what it costs, which ranges it accesses and what it writes.
 */
export const JobDispatched = defineEvent(
  "JobDispatched",
  z.object({
    job,
    as: AsSchema,
    kind: JobKindSchema,
    /** Cores the job may run on (a subset of SHADER_PRESENT; the firmware's core mask). */
    coreMask,
    cost: z.object({ cycles: z.number().int().positive() }),
    /** GPU VA ranges the job reads, writes or executes; translated before it runs. */
    ranges: z.array(AccessRangeSchema),
    /** Bytes the job stores on completion (each write is translated as a write access too). */
    writes: z.array(z.object({ va, data: Base64Schema })).optional(),
    /** The job never completes (until a reset or an injected fault). */
    hang: z.boolean().optional(),
  }),
  "The firmware dispatched a job to the shader cores: AS, core mask, cycle cost, memory ranges, output writes.",
);

/** The job's ranges are translated and it runs on `cores` at `hz`. */
export const JobStarted = defineEvent(
  "JobStarted",
  z.object({
    job,
    as: AsSchema,
    kind: JobKindSchema,
    cores: coreMask,
    hz: z.number().int().positive(),
    /** Run time at the current frequency; absent for a job that hangs. */
    durationNs: z.number().int().nonnegative().optional(),
  }),
  "A job started on the powered cores of its mask; durationNs = cycles / (cores × hz).",
);

/** The job finished; its output writes were published just before as `MemoryWritten`. */
export const JobCompleted = defineEvent(
  "JobCompleted",
  z.object({ job, as: AsSchema, cores: coreMask, cycles: z.number().int().positive(), runNs: z.number().int().nonnegative() }),
  "A job completed; its output bytes are in memory.",
);

/** Why a job ended without completing. */
export const JobFaultReasonSchema = z.enum(["mmu-fault", "no-powered-core", "power-lost", "reset", "injected", "duplicate-job"]);

/** The job ended without completing, and why. */
export const JobFaulted = defineEvent(
  "JobFaulted",
  z.object({ job, as: AsSchema, reason: JobFaultReasonSchema, fault: MmuFaultSchema.extend({ latched: z.boolean() }).optional() }),
  "A job was lost: MMU fault, no powered core, its cores powered off, a GPU reset or an injected fault.",
);

/** A shader-core power-down hit cores a job was running on (the job is lost). */
export const PowerOffDuringJob = defineEvent(
  "PowerOffDuringJob",
  z.object({ job, cores: coreMask }),
  "Cores began powering down while a job was running on them.",
);

/** Ask the shader cores for their utilisation since the last report (devfreq's `get_dev_status`). */
export const ShaderUtilisationRequested = defineEvent("ShaderUtilisationRequested", z.object({}), "Ask the shader cores for busy time since the last report.");

/** Busy time since the last report: the whole block (any core busy) and per core. */
export const ShaderUtilisationReported = defineEvent(
  "ShaderUtilisationReported",
  z.object({
    windowNs: z.number().int().nonnegative(),
    busyNs: z.number().int().nonnegative(),
    cores: z.array(z.object({ core: z.number().int().min(0).max(31), busyNs: z.number().int().nonnegative() })),
  }),
  "Shader busy time over the window since the previous report, in total and per core.",
);

/** A fault injector makes a dispatched job fault or hang (on `gpu<N>.shader.inject` or `fault.inject`). */
export const JobFaultInjected = defineEvent(
  "JobFaultInjected",
  z.object({ gpu: z.number().int().nonnegative(), job, effect: z.enum(["fault", "hang"]) }),
  "Injected: the named job faults now, or hangs (never completes).",
);

/** Every shader-core event type. */
export const shaderEvents = [
  JobDispatched,
  JobStarted,
  JobCompleted,
  JobFaulted,
  PowerOffDuringJob,
  ShaderUtilisationRequested,
  ShaderUtilisationReported,
  JobFaultInjected,
] as const;
