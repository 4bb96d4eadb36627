/**
 * A per-queue job timeout that counts only the time the queue is resident on a CSG slot
 * (panthor.md §4.5, the 2025 per-queue timeout rework).
 *
 * Mirrors panthor_sched.c: `queue_reset_timeout_locked` (progress restarts the full timeout, also
 * while suspended), `queue_suspend_timeout` (park the remaining time when the group leaves its
 * slot) and `queue_resume_timeout` (re-arm with it when resident again). Simplified: the exception
 * for a queue blocked on a sync wait while its group is idle (its timer keeps running off-slot) is
 * not modelled; the caller reports residency only.
 */

/** Armed (`deadlineNs`), parked (`remainingNs`), or stopped (both undefined). */
export interface QueueTimeout {
  deadlineNs: number | undefined;
  remainingNs: number | undefined;
}

/** A stopped timer. */
export function timeoutInit(): QueueTimeout {
  return { deadlineNs: undefined, remainingNs: undefined };
}

/** Is the timer counting or parked (i.e. not stopped)? */
export function timeoutActive(t: QueueTimeout): boolean {
  return t.deadlineNs !== undefined || t.remainingNs !== undefined;
}

/** `queue_reset_timeout_locked`: the full timeout from now, or parked in full while not resident. */
export function timeoutRestart(t: QueueTimeout, fullNs: number, resident: boolean, nowNs: number): void {
  if (fullNs === Number.POSITIVE_INFINITY) return timeoutStop(t);
  t.deadlineNs = resident ? nowNs + fullNs : undefined;
  t.remainingNs = resident ? undefined : fullNs;
}

/** No job in flight: nothing to time. */
export function timeoutStop(t: QueueTimeout): void {
  t.deadlineNs = undefined;
  t.remainingNs = undefined;
}

/** `queue_suspend_timeout`: the group left its slot; keep what is left. */
export function timeoutSuspend(t: QueueTimeout, nowNs: number): void {
  if (t.deadlineNs === undefined) return;
  t.remainingNs = Math.max(0, t.deadlineNs - nowNs);
  t.deadlineNs = undefined;
}

/** `queue_resume_timeout`: resident again; count down what was left. */
export function timeoutResume(t: QueueTimeout, nowNs: number): void {
  if (t.remainingNs === undefined) return;
  t.deadlineNs = nowNs + t.remainingNs;
  t.remainingNs = undefined;
}

/** Has an armed timer expired at `nowNs`? */
export function timeoutExpired(t: QueueTimeout, nowNs: number): boolean {
  return t.deadlineNs !== undefined && t.deadlineNs <= nowNs;
}
