/**
 * Events of the driver's fence-signalling discipline (kernel-tests.md §3.7): the lockdep reports
 * of {@link SignallingChecker} as facts on the log, every allocation an annotated path makes inside
 * a signalling section, the memory-pressure deadlock once the driver is caught in it, and the GEM
 * shrinker's waits on busy objects. Published on `drv<N>.fence`.
 */
import { z } from "zod";
import { defineEvent } from "../../../shared/events/registry.ts";

const id = z.number().int().nonnegative();

/** Subject paths of the fence discipline of the driver bound to GPU `gpu`. */
export const fencePaths = (gpu: number) => ({ fence: `drv${gpu}.fence` });

/** The gfp flags an allocation was made with (`gfp_t`, as `signallingSection.ts` names them). */
export const GfpSchema = z.enum(["GFP_KERNEL", "GFP_NOFS", "GFP_NOIO", "GFP_ATOMIC", "GFP_NOWAIT"]);

/** A job as the driver names it: file, group handle, queue, job id and its done fence. */
const JobRefSchema = z.object({ file: id, group: id, queue: id, job: z.string(), fence: id });

/** lockdep's report of one violation of the dma-fence signalling contract (FENCE-R08). */
export const FenceSignallingViolation = defineEvent(
  "FenceSignallingViolation",
  z.object({
    kind: z.enum(["reclaim-in-signalling-section", "dma-resv-in-signalling-section", "unbounded-wait-in-signalling-section", "lock-order-inversion"]),
    /** The kernel thread (work item) that did it. */
    thread: z.string(),
    /** The signalling section it was in, named for the kernel function that opens it. */
    section: z.string(),
    /** Where: the allocation or wait site. */
    site: z.string(),
    /** Lock class acquired (fs_reclaim for allocations, dma_fence_map for waits). */
    lock: z.string(),
    /** The circular dependency lockdep found, held lock first; empty for an unbounded wait. */
    chain: z.array(z.string()),
    /** The allocation's flags and size, for allocations. */
    allocation: z.object({ gfp: GfpSchema, bytes: id }).optional(),
    /** The fences waited on, for waits. */
    waitsOn: z.array(id).optional(),
    /** The job whose fence the section signals, when there is one. */
    job: JobRefSchema.optional(),
    message: z.string(),
  }),
  "A fence-signalling section allocated memory that may recurse into reclaim, took dma_resv, or waited without bound.",
);

/** An allocation an annotated path made inside a fence-signalling section (reserves taken are not allocations). */
export const SignallingPathAllocated = defineEvent(
  "SignallingPathAllocated",
  z.object({
    thread: z.string(),
    section: z.string(),
    site: z.string(),
    gfp: GfpSchema,
    bytes: id,
    /** The flags allow direct reclaim (so the allocation may wait on fences through a shrinker). */
    mayReclaim: z.boolean(),
    /** What the allocation did: got memory, failed (-ENOMEM), sleeps on busy objects' fences, or deadlocked. */
    outcome: z.enum(["allocated", "failed", "blocked", "deadlock"]),
    job: JobRefSchema.optional(),
  }),
  "An annotated fence-signalling path allocated memory inside its section (with these gfp flags).",
);

/**
 * The memory-pressure deadlock: a signalling path's allocation entered reclaim, and the shrinker
 * waits on a fence that only this path can signal. Nothing behind it moves again.
 */
export const FenceDeadlockDetected = defineEvent(
  "FenceDeadlockDetected",
  z.object({
    thread: z.string(),
    section: z.string(),
    site: z.string(),
    /** The job being completed when the path allocated. */
    job: JobRefSchema,
    /** The fence the shrinker waits on (in the reservation of a busy object), and whose job it is. */
    waitsOn: z.object({ fence: id, job: z.string().optional(), vm: id, objects: z.array(id) }),
    /** Every fence that can no longer signal: the path's own and the ones behind them. */
    stuckFences: z.array(id),
    /** The cycle, one step per entry, ending where it starts. */
    cycle: z.array(z.string()),
    message: z.string(),
  }),
  "A fence-signalling path is waiting, through reclaim and the GEM shrinker, for a fence only it can signal.",
);

/** The GEM shrinker waits for busy objects' fences (`dma_resv_wait_timeout`) to give memory back. */
export const GemShrinkerWaiting = defineEvent(
  "GemShrinkerWaiting",
  z.object({ thread: z.string(), owedBytes: id, fences: z.array(id), objects: z.array(id) }),
  "The GEM shrinker waits on the reservation fences of busy objects to meet a lowered memory limit.",
);

/** The fences the shrinker waited on signalled. */
export const GemShrinkerWaitDone = defineEvent(
  "GemShrinkerWaitDone",
  z.object({ thread: z.string(), fences: z.array(id), owedBytes: id }),
  "The busy objects' fences the GEM shrinker waited on have signalled.",
);

/** Every event of the fence discipline, for the catalogue. */
export const fenceDisciplineEvents = [FenceSignallingViolation, SignallingPathAllocated, FenceDeadlockDetected, GemShrinkerWaiting, GemShrinkerWaitDone] as const;
