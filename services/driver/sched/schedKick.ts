/**
 * Asking for a scheduler tick (panthor.md §4.2 step 2, §4.3 step 4): `sched_queue_delayed_work(
 * sched, tick, 0)` for an immediate one, and `group_schedule_locked()` — a group that got work
 * while off its slot ticks at once when it could run right away (a free slot, a resident group
 * of lower priority, or an idle one to evict), else waits for the periodic tick (10 ms after
 * the last one), which rotates groups of equal priority.
 */
import type { KernelCtx } from "../uapi/ioctlContext.ts";
import { groupCanRun } from "./groupLifecycle.ts";
import type { PanthorGroup } from "./schedTypes.ts";

const MS = 1_000_000;

/** The tick period (`tick_period = msecs_to_jiffies(10)`). */
export const TICK_PERIOD_NS = 10 * MS;

/** A group has jobs on its rings (panthor: on the runnable list rather than the idle one). */
export function hasWork(g: PanthorGroup): boolean {
  return g.queues.some((q) => q.onRing.length > 0);
}

/** `sched_queue_delayed_work(sched, tick, 0)`: tick as soon as the tick task can. */
export function requestTick(kc: KernelCtx): void {
  const sched = kc.d.sched;
  if (sched !== undefined) sched.tickRequested = true;
}

/** Arm the periodic tick, `TICK_PERIOD_NS` after the last one, unless one is armed already. */
export function armPeriodicTick(kc: KernelCtx): void {
  const sched = kc.d.sched;
  if (sched === undefined || sched.nextTickNs !== undefined) return;
  sched.nextTickNs = Math.max(kc.now(), sched.lastTickNs + TICK_PERIOD_NS);
}

/** `group_schedule_locked(group)`: the group has work but no slot (see the module comment). */
export function groupSchedule(kc: KernelCtx, g: PanthorGroup): void {
  const sched = kc.d.sched;
  if (sched === undefined || g.csgId !== undefined || !groupCanRun(g)) return;
  const now = sched.slots.some((s) => s.group === undefined)
    || sched.slots.some((s) => s.group !== undefined && (s.idle || s.group.priority < g.priority || !groupCanRun(s.group)));
  if (now) requestTick(kc);
  else armPeriodicTick(kc);
}
