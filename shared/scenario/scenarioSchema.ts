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
  /**
   * …this far apart (required when count > 1, and more than 0: repetitions at one instant would
   * each wait for the last to be delivered, an order only the embedded runtime's lazy queueing
   * gives — `StepSchedule` numbers repetitions that follow each other in time).
   */
  every: DurationSchema.optional(),
})
  .refine((s) => s.count === 1 || s.every !== undefined, { message: "a step with count > 1 needs 'every'", path: ["every"] })
  .refine((s) => s.count === 1 || s.every === undefined || s.every > 0, { message: "a repeated step's 'every' must be more than 0", path: ["every"] });

/**
 * How the driver of every GPU is configured: the knobs a comparison or a fault scenario turns.
 * Defaults are panthor's (JobQueue submission, devfreq and runtime PM on, the safe fence policy).
 */
export const DriverConfigSchema = z.strictObject({
  /** How jobs reach the rings: Tyr's `jobqueue`, or panthor's per-queue `drm_sched`, for comparisons. */
  scheduler: z.enum(["jobqueue", "drm_sched"]).default("jobqueue"),
  /** The simple_ondemand devfreq governor; off pins the GPU at its fastest OPP. */
  devfreq: z.boolean().default(true),
  /** Runtime PM with the 50 ms autosuspend; off keeps the GPU powered. */
  runtimePm: z.boolean().default(true),
  /**
   * Allocation policy on the fence-signalling path: `safe` preallocates (or allocates without
   * reclaim) what job completion needs; `unsafe` allocates with reclaim inside the signalling
   * section — the deadlock the seeds warn about, reproducible under memory pressure.
   */
  fencePolicy: z.enum(["safe", "unsafe"]).default("safe"),
  /** GEM system-memory limit in bytes (default: half of RAM). */
  gemLimitBytes: z.number().int().positive().optional(),
});

/**
 * One userspace client of a scenario (`services/workload/`): a game-like `frames` loop that opens
 * the DRM device of GPU `gpu`, sets up its VM, BOs and a two-queue group, then renders `frames`
 * frames at `fps` (a geometry job then a fragment job each), at most `framesInFlight` at a time.
 */
export const WorkloadClientSchema = z.strictObject({
  /** Client name; its actor is `wl<gpu>.<name>`. */
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "lower-case letters, digits and dashes"),
  gpu: z.number().int().min(0).default(0),
  kind: z.literal("frames").default("frames"),
  /** Frames to render (skipped vsyncs do not count). */
  frames: z.number().int().min(1).max(1_000_000),
  /** Target frame rate: one vsync every 1/fps s of virtual time. */
  fps: z.number().positive().max(1000).default(60),
  /** When the process starts (opens the device; retried every 1 ms while the device is absent). */
  startAt: DurationSchema.default(0),
  /** GROUP_CREATE priority; `high` and `realtime` are refused to unprivileged clients (-EACCES). */
  priority: z.enum(["low", "medium", "high", "realtime"]).default("medium"),
  /** The client's process holds CAP_SYS_NICE (a compositor): it may use `high` and `realtime`. */
  capSysNice: z.boolean().default(false),
  /** Vertices per frame's draw (RUN_IDVS index count). */
  vertices: z.number().int().min(1).max(10_000_000).default(60_000),
  /** Relative per-frame variation of the vertex count, drawn from the client's seeded PRNG. */
  vertexJitter: z.number().min(0).max(1).default(0.1),
  /** Render target size in pixels (RUN_FRAGMENT's bounding box). */
  width: z.number().int().min(1).max(4096).default(1280),
  height: z.number().int().min(1).max(4096).default(720),
  /** Swapchain depth: frames submitted and not yet completed; a vsync beyond it is skipped. */
  framesInFlight: z.number().int().min(1).max(8).default(2),
  /** SYNCOBJ_TIMELINE_WAIT deadline per frame, from its submission. */
  waitTimeout: DurationSchema.default(1_000_000_000),
});

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
  /** Driver configuration shared by every GPU of the scenario. */
  driver: DriverConfigSchema.prefault({}),
  steps: z.array(ScenarioStepSchema).default([]),
  /** Userspace clients (`services/workload/`), each hosted after the driver of its GPU. */
  workload: z.array(WorkloadClientSchema).default([]),
}).superRefine((s, ctx) => {
  const seen = new Set<string>();
  s.workload.forEach((c, i) => {
    if (c.gpu >= s.gpus) ctx.addIssue({ code: "custom", path: ["workload", i, "gpu"], message: `no GPU ${c.gpu} (the scenario has ${s.gpus})` });
    const key = `${c.gpu}.${c.name}`;
    if (seen.has(key)) ctx.addIssue({ code: "custom", path: ["workload", i, "name"], message: `a second client '${c.name}' on GPU ${c.gpu}` });
    seen.add(key);
  });
});

/** A validated scenario (durations in ns). */
export type Scenario = z.infer<typeof ScenarioSchema>;
/** A validated driver configuration. */
export type DriverConfig = z.infer<typeof DriverConfigSchema>;
/** A validated workload client. */
export type WorkloadClient = z.infer<typeof WorkloadClientSchema>;
/** One validated step. */
export type ScenarioStep = z.infer<typeof ScenarioStepSchema>;
