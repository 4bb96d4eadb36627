/**
 * The scheduler's part of a device reset (panthor.md §4.6–4.8):
 *
 * - `panthor_sched_pre_reset()` ({@link schedPreReset}): `reset.in_progress` set (ticks and the
 *   watchdog stand aside), then `panthor_sched_suspend()` — every resident group that can run is
 *   SUSPENDed, the others TERMINATEd, 100 ms for the acknowledges; a slot that does not answer has
 *   its group killed, TIMEDOUT, and INNOCENT if it could still run. Each group the reset touches
 *   is judged: the culprit (timed out, with a fatal queue, or stuck on its slot) is **guilty**; a
 *   group suspended cleanly is **innocent** and resumes after the reset; one killed as collateral
 *   is **innocent and lost**.
 * - `panthor_sched_post_reset(reset_failed)` ({@link schedPostReset}): after a failed reset every
 *   group left is terminated (the device is gone: its fences fail with -ECANCELED, unless the
 *   group was already guilty); after a good one the sync objects are
 *   read again (jobs that finished while the job IRQ was masked signal now) and an immediate tick
 *   gives the innocent groups with work their slots back (CSG RESUME from their suspend buffer).
 *   Either way `in_progress` is cleared.
 *
 * Every job of a guilty or lost group has its fence signalled by `group_term_post_processing`
 * (`groupTerm.ts`): -ETIMEDOUT for a timed-out group, -EINVAL for a fatal queue, -ECANCELED else.
 */
import { emit, mutexLock, mutexUnlock, type KTask } from "../ktask.ts";
import { noteActivity, createPmDevice } from "../sched/activity.ts";
import { groupStateFlags } from "../sched/groupLifecycle.ts";
import { terminateGroup } from "../sched/groupTerm.ts";
import { groupSyncUpdate } from "../sched/jobFlow.ts";
import { hasWork, requestTick } from "../sched/schedKick.ts";
import type { PanthorGroup } from "../sched/schedTypes.ts";
import type { KernelCtx } from "../uapi/ioctlContext.ts";
import { resetCtl } from "./resetCtl.ts";
import { ResetGroupJudged, resetPaths } from "./resetEvents.ts";

/** How many groups the pre-reset judged of each kind. */
export interface ResetTally {
  readonly guilty: number;
  readonly resumed: number;
  readonly lost: number;
}

/** Why a group is the culprit, or undefined when it is not (before the suspend touched it). */
export function culpritReason(g: Pick<PanthorGroup, "state" | "timedout" | "fatalQueues" | "destroyed">): string | undefined {
  if (g.state === "terminated" || g.destroyed) return undefined;
  if (g.state === "unknown") return "its CSG slot stopped answering (job timeout not acknowledged)";
  if (g.timedout) return "a job timed out";
  if (g.fatalQueues !== 0) return "a queue hit a fatal CS error";
  return undefined;
}

/** `panthor_sched_pre_reset()`: see the module comment. */
export function* schedPreReset(kc: KernelCtx): KTask<ResetTally> {
  const d = kc.d;
  const sched = d.sched!;
  resetCtl(d).inProgress = true;
  const resident = sched.slots.flatMap((s) => (s.group === undefined ? [] : [s.group]));
  const culprits = new Map<PanthorGroup, string>();
  for (const g of sched.groups) {
    const why = culpritReason(g);
    if (why !== undefined) culprits.set(g, why);
  }
  yield* createPmDevice(kc).schedSuspend();
  let guilty = 0;
  let resumed = 0;
  let lost = 0;
  const touched = [...new Set([...culprits.keys(), ...resident])];
  for (const g of touched) {
    const why = culprits.get(g);
    const verdict = why !== undefined ? "guilty" : g.innocent ? "innocent-lost" : "innocent-resumed";
    if (verdict === "guilty") guilty++;
    else if (verdict === "innocent-lost") lost++;
    else resumed++;
    const reason = why ?? (g.innocent ? "did not suspend within 100 ms: killed by the reset" : "suspended before the reset; resumes after it");
    yield* emit(ResetGroupJudged, resetPaths(d.dev.gpu).reset, { file: g.file, group: g.handle, verdict, flags: groupStateFlags(g, d.uapiMinor), reason });
  }
  return { guilty, resumed, lost };
}

/** `panthor_sched_post_reset(ptdev, reset_failed)`: see the module comment. */
export function* schedPostReset(kc: KernelCtx, failed: boolean): KTask<void> {
  const d = kc.d;
  const sched = d.sched!;
  yield* mutexLock(sched.lock);
  if (failed) {
    for (const g of sched.groups) {
      if (g.state !== "terminated") yield* terminateGroup(kc, g, "device reset failed");
    }
  } else {
    for (const g of sched.groups) if (hasWork(g)) groupSyncUpdate(kc, g);
    requestTick(kc);
  }
  resetCtl(d).inProgress = false;
  yield* mutexUnlock(sched.lock);
  yield* noteActivity(kc);
}
