/**
 * `panthor_sched_init` (panthor.md §3.2, §4.1): the scheduler of a device whose firmware booted —
 * CSG slots from the discovered interfaces (at most `MAX_CSG_PRIO + 1` = 16, so every resident
 * group gets a distinct CSG priority), the user address spaces (`popcount(as_present & ~1)`,
 * at least one or -EINVAL "Not enough AS"), the queue backend the driver options chose, and its
 * two long-lived kernel tasks: the tick work ({@link tickTask}) and the job worker.
 */
import { ERRNO } from "../../../shared/gpu/errno.ts";
import { jobQueueBackend } from "./queueBackend.ts";
import { drmSchedBackend } from "./drmSchedBackend.ts";
import { KMutex, waitEvent, mutexLock, mutexUnlock, type KTask } from "../ktask.ts";
import type { KernelCtx } from "../uapi/ioctlContext.ts";
import { jobWorker } from "./jobFlow.ts";
import type { Scheduler, SchedulerMode } from "./schedTypes.ts";
import { noteActivity } from "./activity.ts";
import { tickWork } from "./tick.ts";

const popcount = (v: number): number => {
  let n = 0;
  for (let x = v >>> 0; x !== 0; x &= x - 1) n++;
  return n;
};

/**
 * The tick work as a kernel task: sleeps until a tick is asked for (`tickRequested`) or the
 * periodic tick is due (`nextTickNs`), then runs `tick_work()` under the scheduler lock.
 */
export function* tickTask(kc: KernelCtx): KTask<void> {
  const sched = kc.d.sched!;
  for (;;) {
    const armed = sched.nextTickNs;
    const timeout = armed === undefined ? Number.POSITIVE_INFINITY : Math.max(0, armed - kc.now());
    const why = yield* waitEvent(() => (sched.tickRequested ? "now" : sched.nextTickNs !== armed ? "rearm" : undefined), timeout);
    if (why === "rearm") continue;
    const periodic = why === undefined;
    sched.tickRequested = false;
    // pm_runtime_resume_and_get(): the tick talks to the firmware, which must be up.
    const pm = sched.pm;
    if (pm !== undefined && (yield* pm.resumeAndGet()) !== 0) continue;
    yield* mutexLock(sched.lock);
    yield* tickWork(kc, periodic);
    yield* mutexUnlock(sched.lock);
    yield* noteActivity(kc);
    if (pm !== undefined) {
      pm.markLastBusy();
      pm.putAutosuspend();
    }
  }
}

/** `panthor_sched_init`: the scheduler (also left in `kc.d.sched`), or -EINVAL without a user AS. */
export function schedInit(kc: KernelCtx, mode: SchedulerMode = "jobqueue"): Scheduler | number {
  const d = kc.d;
  const csif = d.fw!.ifaces!.csifInfo;
  const asSlotCount = popcount(d.dev.info.as_present & ~1);
  if (asSlotCount < 1) return -ERRNO.EINVAL;
  const sched: Scheduler = {
    mode,
    slots: Array.from({ length: csif.csg_slot_count }, () => ({ group: undefined, priority: 0, idle: false })),
    csSlotCount: csif.cs_slot_count,
    asSlotCount,
    groups: [],
    lock: new KMutex("sched"),
    backend: mode === "drm_sched" ? drmSchedBackend(d.fences) : jobQueueBackend(d.fences),
    tickRequested: false,
    nextTickNs: undefined,
    lastTickNs: 0,
    ticks: 0,
    busy: false,
    byQueue: new Map(),
    kc,
    pm: undefined,
  };
  d.sched = sched;
  kc.spawn("sched-tick", tickTask(kc));
  kc.spawn("sched-jobs", jobWorker(kc));
  return sched;
}
