/**
 * The scheduler's objects (panthor.md §4.1; `struct panthor_group`, `struct panthor_queue`,
 * `struct panthor_scheduler` of panthor_sched.c), as plain mutable records owned by the driver
 * actor. The group lifecycle is the decider of `groupLifecycle.ts`; per-job bookkeeping lives in
 * the queue backend (JobQueue or drm_sched) and in each queue's list of jobs on the ring.
 */
import type { DmaFence } from "../../fence/index.ts";
import type { KMutex } from "../ktask.ts";
import type { RuntimePm } from "../pm/pmHooks.ts";
import type { KernelCtx } from "../uapi/ioctlContext.ts";
import type { PanthorVm } from "../uapi/driverState.ts";
import type { KernelBo } from "../uapi/kernelBo.ts";
import type { KernelMap } from "../uapi/kernelMap.ts";
import type { GroupState } from "./groupLifecycle.ts";
import type { QueueBackend } from "./queueBackend.ts";

/** How jobs reach the rings: Tyr's JobQueue (default) or panthor's drm_sched per queue. */
export type SchedulerMode = "jobqueue" | "drm_sched";

/** `enum drm_panthor_group_priority`. */
export const PANTHOR_GROUP_PRIORITY = { LOW: 0, MEDIUM: 1, HIGH: 2, REALTIME: 3 } as const;

/** `MAX_CSG_PRIO`: resident groups get distinct CSG priorities from 15 down. */
export const MAX_CSG_PRIO = 15;

/** A job on a queue's ring, from `queue_run_job` until its seqno is seen in the sync object. */
export interface RingJob {
  /** `f<file>.g<group>.q<queue>.<n>`. */
  readonly id: string;
  /** The done fence's seqno (1, 2, 3… per queue). */
  readonly seqno: number;
  /** The sync-object value that means the job finished (empty jobs reuse the previous job's). */
  readonly ringSeqno: number;
  /** Ring bytes `[start, end)` (monotonic offsets; equal for an empty job). */
  start: number;
  end: number;
  /** Error found on the way (a CS_FAULT inside the job: -EINVAL). */
  error: number;
}

/** A job submitted and not yet signalled, for audits: its queue-level identity and fences. */
export interface SubmittedJob {
  readonly id: string;
  readonly seqno: number;
  readonly fence: DmaFence;
}

/** `struct panthor_queue`. */
export interface PanthorQueue {
  readonly index: number;
  /** The backend's queue id: `f<file>.g<group>.q<index>`. */
  readonly qid: string;
  /** CS priority 0..15. */
  readonly priority: number;
  readonly ringSize: number;
  /** The ring buffer: a kernel BO in the group's VM. */
  readonly ring: KernelBo;
  /** The user I/O pages (input: insert/extract, output: extract/active): a kernel BO in the MCU VM. */
  readonly iface: KernelMap;
  /** CS_INSERT (bytes written to the ring, monotonic). */
  insert: number;
  /** Sync-object value of the last job submitted with a stream (`fence_ctx.seqno` of the ring). */
  ringSeqno: number;
  /** Jobs on the ring, oldest first. */
  readonly onRing: RingJob[];
  /** Jobs submitted, by backend seqno, until their fence signals. */
  readonly submitted: Map<number, SubmittedJob>;
  nextJob: number;
}

/** `struct panthor_group`. */
export interface PanthorGroup {
  readonly uid: number;
  readonly file: number;
  /** The handle in the file's group pool (1..128). */
  readonly handle: number;
  readonly vm: PanthorVm;
  readonly priority: number;
  readonly computeCoreMask: number;
  readonly fragmentCoreMask: number;
  readonly tilerCoreMask: number;
  readonly maxComputeCores: number;
  readonly maxFragmentCores: number;
  readonly maxTilerCores: number;
  readonly queues: PanthorQueue[];
  /** One `panthor_syncobj_64b` per queue, in the group's VM. */
  readonly syncobjs: KernelBo;
  /** Suspend buffers in the MCU VM (sizes from the CSG control block). */
  readonly suspendBuf: KernelBo;
  readonly protmSuspendBuf: KernelBo;
  state: GroupState;
  /** The CSG slot while resident (`csg_id`, −1 in the kernel when not). */
  csgId: number | undefined;
  destroyed: boolean;
  timedout: boolean;
  innocent: boolean;
  /** Queues with a CS fatal error (bit per queue). */
  fatalQueues: number;
  /** Tick number the group was last bound at (round-robin order among equals). */
  lastBoundTick: number;
  /** Kernel BOs released (after termination and destroy). */
  released: boolean;
}

/** `struct panthor_csg_slot`. */
export interface CsgSlot {
  group: PanthorGroup | undefined;
  /** CSG priority programmed in `endpoint_req`. */
  priority: number;
  /** The firmware reported the group idle (CSG IDLE / status IS_IDLE). */
  idle: boolean;
}

/** `struct panthor_scheduler`. */
export interface Scheduler {
  readonly mode: SchedulerMode;
  readonly slots: CsgSlot[];
  readonly csSlotCount: number;
  /** User address spaces (`popcount(as_present & ~1)`). */
  readonly asSlotCount: number;
  /** Every group not yet released, in creation order. */
  readonly groups: PanthorGroup[];
  /** `sched->lock`: ticks, group binding and termination are serialised. */
  readonly lock: KMutex;
  readonly backend: QueueBackend;
  /** A tick was asked for now (`sched_queue_delayed_work(sched, tick, 0)`). */
  tickRequested: boolean;
  /** The next periodic tick (`resched_target`), if one is armed. */
  nextTickNs: number | undefined;
  /** When the last tick ran (`last_tick`). */
  lastTickNs: number;
  ticks: number;
  /** The GPU had work at the last activity check (`panthor_devfreq_record_busy/idle`). */
  busy: boolean;
  /** Group and queue of each backend queue id, for effect routing (kept after release: late fence effects). */
  readonly byQueue: Map<string, { group: PanthorGroup; queue: PanthorQueue }>;
  /** The kernel context the scheduler's tasks run with. */
  readonly kc: KernelCtx;
  /** Runtime PM, once the power policy attached it (`activity.ts`). */
  pm: RuntimePm | undefined;
}
