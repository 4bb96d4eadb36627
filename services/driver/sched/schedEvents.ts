/**
 * The scheduler's facts (past tense), for the log, the trace and the audit: groups created,
 * bound to CSG slots, suspended, terminated and destroyed; jobs submitted, written to their ring
 * and their fences signalled; scheduler ticks; the GPU turning busy or idle; tiler heaps.
 */
import { z } from "zod";
import { defineEvent } from "../../../shared/events/registry.ts";

/** Subject paths of the scheduler of `drv<N>`. */
export interface SchedPaths {
  /** Group lifecycle: `GroupCreated`, `GroupStateChanged`, `GroupDestroyed`, `QueueFaultReported`, `TilerHeap*`. */
  readonly group: string;
  /** Job flow: `JobSubmitted`, `JobRingWritten`, `JobFenceSignalled`. */
  readonly job: string;
  /** `SchedTickDone`, `GpuActivityChanged`. */
  readonly tick: string;
}

/** The paths built so far, indexed by GPU (a handful of GPUs at most). */
const schedPathsByGpu: SchedPaths[] = [];

/**
 * Subject paths of the scheduler of `drv<N>`. Every scheduler emit asks for them, so each GPU's
 * paths are built once and remembered (the strings depend on the index alone, and handing out the
 * same strings spares every emit an allocation); the object is frozen because every caller of
 * that GPU shares it.
 */
export function schedPaths(gpu: number): SchedPaths {
  return (schedPathsByGpu[gpu] ??= Object.freeze({ group: `drv${gpu}.sched.group`, job: `drv${gpu}.sched.job`, tick: `drv${gpu}.sched.tick` }));
}

const id = z.number().int().nonnegative();
const errno = z.number().int().nonpositive();
const va = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const jobRef = { file: id, group: id, queue: id, job: z.string(), seqno: id };

/** GROUP_CREATE made a group (state CREATED, not resident). */
export const GroupCreated = defineEvent(
  "GroupCreated",
  z.object({ file: id, group: id, vmId: id, priority: id, queues: z.array(z.object({ priority: id, ringSize: id, ringVa: va })) }),
  "panthor_group_create(): a scheduling group with its queues, rings and sync objects.",
);

/** A group changed state: bound to a CSG slot, suspended, terminated. */
export const GroupStateChanged = defineEvent(
  "GroupStateChanged",
  z.object({
    file: id, group: id, state: z.enum(["created", "active", "suspended", "terminated", "unknown"]), reason: z.string(),
    csg: id.optional(), csgPriority: id.optional(), as: id.optional(),
  }),
  "The scheduler bound a group to a CSG slot (START/RESUME), evicted it (SUSPEND) or killed it (TERMINATE).",
);

/** GROUP_DESTROY (or file close) released a group. */
export const GroupDestroyed = defineEvent("GroupDestroyed", z.object({ file: id, group: id }), "A group was destroyed and its kernel BOs released.");

/** A CS fault or fatal error the scheduler processed (`cs_slot_process_fault/fatal_event_locked`). */
export const QueueFaultReported = defineEvent(
  "QueueFaultReported",
  z.object({ file: id, group: id, queue: id, fatal: z.boolean(), exceptionType: id, exceptionName: z.string(), info: va, job: z.string().optional() }),
  "The firmware reported CS_FAULT or CS_FATAL for a queue; a fatal one makes the group unusable.",
);

/** GROUP_SUBMIT queued a job: its done fence and the fences it waits for. */
export const JobSubmitted = defineEvent(
  "JobSubmitted",
  z.object({ ...jobRef, fence: id, deps: z.array(id), credits: id, streamAddr: va, streamSize: id }),
  "A job was submitted to a queue; it runs once its dependencies signalled and ring credits are free.",
);

/** `queue_run_job()`: the kernel's job wrapper was copied into the ring and CS_INSERT advanced. */
export const JobRingWritten = defineEvent(
  "JobRingWritten",
  z.object({ ...jobRef, ringStart: id, insert: id, ringSeqno: id, resident: z.boolean() }),
  "The job wrapper (flush, CALL the user stream, SYNC_ADD64 the queue's sync object) was written to the ring.",
);

/** A job's done fence signalled (once), with its error (0, -EINVAL fault, -ETIMEDOUT, -ECANCELED). */
export const JobFenceSignalled = defineEvent(
  "JobFenceSignalled",
  z.object({ ...jobRef, fence: id, error: errno }),
  "A job's done fence signalled, in seqno order per queue.",
);

/** One run of `tick_work`: who is resident where, and when the next tick comes. */
export const SchedTickDone = defineEvent(
  "SchedTickDone",
  z.object({
    tick: id,
    resident: z.array(z.object({ csg: id, file: id, group: id, priority: id, csgPriority: id, idle: z.boolean() })),
    started: id, evicted: id, waiting: id, nextTickNs: va.optional(),
  }),
  "tick_work(): groups assigned to CSG slots by priority, idle or lower-priority ones evicted, rotation armed.",
);

/** The GPU became busy (a job on a ring) or idle (nothing in flight): devfreq and runtime PM follow it. */
export const GpuActivityChanged = defineEvent(
  "GpuActivityChanged",
  z.object({ busy: z.boolean(), inFlight: id }),
  "panthor_devfreq_record_busy/idle: the scheduler saw the GPU get work or run out of it.",
);

/** TILER_HEAP_CREATE made a heap context and its first chunks. */
export const TilerHeapCreated = defineEvent(
  "TilerHeapCreated",
  z.object({ file: id, vmId: id, handle: id, ctxVa: va, firstChunkVa: va, chunks: id, chunkSize: id }),
  "panthor_heap_create(): a tiler heap context and its initial chunk chain.",
);

/** A tiler heap was destroyed (ioctl, VM destroy or file close). */
export const TilerHeapDestroyed = defineEvent("TilerHeapDestroyed", z.object({ file: id, vmId: id, handle: id }), "panthor_heap_destroy(): the heap and its chunks were freed.");

/** A tiler heap grew on TILER_OOM (or could not: errno). */
export const TilerHeapGrown = defineEvent(
  "TilerHeapGrown",
  z.object({ file: id, group: id, queue: id, ctxVa: va, chunkVa: va, errno }),
  "panthor_heap_grow(): a chunk was handed to the firmware after TILER_OOM, or 0 with -ENOMEM.",
);

/** Every scheduler event type. */
export const schedEvents = [
  GroupCreated, GroupStateChanged, GroupDestroyed, QueueFaultReported, JobSubmitted, JobRingWritten, JobFenceSignalled, SchedTickDone,
  GpuActivityChanged, TilerHeapCreated, TilerHeapDestroyed, TilerHeapGrown,
] as const;
