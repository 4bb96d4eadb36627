/**
 * `tick_work()` (panthor.md §4.3): the group scheduler that gives the firmware's limited CSG slots
 * to groups.
 *
 * 1. `tick_ctx_init`: a STATUS_UPDATE on every bound slot (100 ms for the acks) refreshes which
 *    resident groups are idle; a group whose VM took an unhandled MMU fault gets every queue
 *    marked fatal; groups that can no longer run and hold no slot are terminated at once.
 * 2. Pick, from REALTIME down to LOW, non-idle groups — resident ones and those with work waiting
 *    for a slot — while slots and address spaces last (groups sharing a VM share an AS). On a
 *    periodic tick the waiting groups of a priority come before the resident ones: groups of
 *    equal priority take turns (rotation). Idle resident groups fill what is left.
 * 3. `tick_ctx_apply`: evicted groups get CSG SUSPEND (TERMINATE if they cannot run), picked
 *    groups distinct CSG priorities from 15 down (ENDPOINT_CONFIG when one changed), doorbells,
 *    acks; then every picked group without a slot takes the lowest free one — its VM bound to an
 *    AS (`panthor_vm_active`, LRU), its queues' CS interfaces and the CSG programmed, START or
 *    RESUME — doorbells, acks.
 * 4. A periodic tick 10 ms later is armed only while groups with work wait for a slot.
 *
 * A slot that does not acknowledge a state change within 100 ms — typically a TERMINATE after a
 * job timeout, held back by a job hung on the shader cores — leaves its group in UNKNOWN_STATE,
 * bound to the slot, timed out, and schedules a GPU reset (`panthor_device_schedule_reset()`,
 * `reset/`), which terminates it; so does a STATUS_UPDATE left unanswered. A group whose START
 * is not acknowledged is terminated at once (it never ran) and a reset scheduled too. While a
 * reset is pending or running the tick does nothing (`panthor_device_reset_is_pending()`).
 */
import { CSG, CSG_STATUS_STATE } from "../../firmware/interfaceBits.ts";
import { CSG_OUTPUT } from "../../firmware/interfaces.ts";
import { csfDoorbell } from "../../../shared/gpu/registers.ts";
import { emit, writel, type KTask } from "../ktask.ts";
import { csgIface, ringCsgDoorbells, waitCsgAcks } from "../fw/fwIface.ts";
import type { KernelCtx } from "../uapi/ioctlContext.ts";
import { panthorVmActive } from "./asLru.ts";
import { ensureCoresPowered } from "./corePower.ts";
import { csgRequestState, csgRequestStatus, csgSetPriority, csgSlotProg, csSlotProg } from "./csgProg.ts";
import { groupCanRun } from "./groupLifecycle.ts";
import { groupTransition, terminateGroup, unbindGroup } from "./groupTerm.ts";
import { SchedTickDone, schedPaths } from "./schedEvents.ts";
import { resetBlocksFirmware, scheduleReset } from "../reset/resetCtl.ts";
import { hasWork, TICK_PERIOD_NS } from "./schedKick.ts";
import type { PanthorVm } from "../uapi/driverState.ts";
import { MAX_CSG_PRIO, type PanthorGroup, type Scheduler } from "./schedTypes.ts";

const bits = (mask: number): number[] => [...Array(32).keys()].filter((i) => (mask & (1 << i)) !== 0);

/** Step 1 (see the module comment). */
function* tickCtxInit(kc: KernelCtx, sched: Scheduler): KTask<void> {
  const fw = kc.d.fw!;
  let mask = 0;
  for (const [i, s] of sched.slots.entries()) {
    if (s.group === undefined) continue;
    yield* csgRequestStatus(fw, i);
    mask |= 1 << i;
  }
  if (mask !== 0) {
    yield* ringCsgDoorbells(fw, mask);
    const silent: number[] = [];
    for (const i of bits(mask)) if (!(yield* waitCsgAcks(fw, i, CSG.STATUS_UPDATE))) silent.push(i);
    if (silent.length > 0) yield* scheduleReset(kc, "csg-status-timeout", `CSG slot(s) ${silent.join(", ")} did not acknowledge STATUS_UPDATE within 100 ms`);
  }
  for (const [i, s] of sched.slots.entries()) {
    if (s.group === undefined) continue;
    s.idle = (fw.shared.field(csgIface(fw, i).output, CSG_OUTPUT, "status_state") & CSG_STATUS_STATE.IS_IDLE) !== 0;
  }
  for (const g of sched.groups) {
    if (g.vm.unhandledFault && g.fatalQueues === 0 && g.state !== "terminated") g.fatalQueues = 2 ** g.queues.length - 1;
    if (g.csgId === undefined && !groupCanRun(g) && g.state !== "terminated") yield* terminateGroup(kc, g, termReason(g));
  }
}

function termReason(g: PanthorGroup): string {
  if (g.destroyed) return "destroyed";
  if (g.fatalQueues !== 0) return "fatal fault";
  return g.timedout ? "timed out" : "cannot run";
}

/** Step 2: the groups to run, in CSG-priority order (pure over the scheduler's state). */
export function pickGroups(sched: Scheduler, rotate: boolean): PanthorGroup[] {
  const picked: PanthorGroup[] = [];
  const vms = new Set<PanthorVm>();
  const fits = (g: PanthorGroup) => picked.length < sched.slots.length && (vms.has(g.vm) || vms.size < sched.asSlotCount);
  const take = (g: PanthorGroup) => {
    if (!fits(g)) return;
    picked.push(g);
    vms.add(g.vm);
  };
  const live = sched.groups.filter((g) => groupCanRun(g));
  const slotOf = (g: PanthorGroup) => sched.slots[g.csgId!]!;
  for (let prio = 3; prio >= 0; prio--) {
    const old = live.filter((g) => g.priority === prio && g.csgId !== undefined && !slotOf(g).idle).sort((a, b) => slotOf(b).priority - slotOf(a).priority);
    const waiting = live.filter((g) => g.priority === prio && g.csgId === undefined && hasWork(g)).sort((a, b) => a.lastBoundTick - b.lastBoundTick || a.uid - b.uid);
    for (const g of rotate ? [...waiting, ...old] : [...old, ...waiting]) take(g);
  }
  for (let prio = 3; prio >= 0; prio--) for (const g of live) if (g.priority === prio && g.csgId !== undefined && slotOf(g).idle) take(g);
  return picked;
}

/** Step 3a: evict, re-prioritise; returns how many groups left their slot. */
function* evictAndReprioritise(kc: KernelCtx, sched: Scheduler, picked: readonly PanthorGroup[]): KTask<number> {
  const fw = kc.d.fw!;
  const evicted = sched.slots.flatMap((s) => (s.group !== undefined && !picked.includes(s.group) ? [s.group] : []));
  let mask = 0;
  for (const g of evicted) {
    yield* csgRequestState(fw, g.csgId!, groupCanRun(g) ? CSG.STATE_SUSPEND : CSG.STATE_TERMINATE);
    mask |= 1 << g.csgId!;
  }
  for (const [i, g] of picked.entries()) {
    const prio = MAX_CSG_PRIO - i;
    if (g.csgId === undefined || sched.slots[g.csgId]!.priority === prio) continue;
    yield* csgSetPriority(fw, g.csgId, g, prio);
    sched.slots[g.csgId]!.priority = prio;
    mask |= 1 << g.csgId;
  }
  if (mask === 0) return 0;
  yield* ringCsgDoorbells(fw, mask);
  const acked = new Map<number, boolean>();
  for (const i of bits(mask)) acked.set(i, yield* waitCsgAcks(fw, i, (CSG.STATE_MASK | CSG.ENDPOINT_CONFIG) >>> 0));
  let left = 0;
  for (const g of evicted) {
    if (acked.get(g.csgId!) !== true) {
      // UNKNOWN_STATE: the group stays on its slot until the reset terminates it.
      const what = groupCanRun(g) ? "SUSPEND" : "TERMINATE";
      yield* groupTransition(kc, g, "ackTimedOut", `CSG slot ${g.csgId} did not acknowledge ${what} within 100 ms (GPU reset needed)`);
      g.timedout = true;
      yield* scheduleReset(kc, "csg-ack-timeout", `CSG slot ${g.csgId} did not acknowledge ${what} within 100 ms`, { file: g.file, group: g.handle });
      continue;
    }
    const canRun = groupCanRun(g);
    if (canRun) yield* groupTransition(kc, g, "suspended", "evicted");
    unbindGroup(kc, g);
    if (!canRun) yield* terminateGroup(kc, g, termReason(g));
    left++;
  }
  const silent = bits(mask).filter((i) => acked.get(i) !== true && !evicted.some((g) => g.csgId === i));
  if (silent.length > 0) yield* scheduleReset(kc, "csg-ack-timeout", `CSG slot(s) ${silent.join(", ")} did not acknowledge ENDPOINT_CONFIG within 100 ms`);
  return left;
}

/** Step 3b: bind every picked group without a slot; returns how many started. */
function* bindNew(kc: KernelCtx, sched: Scheduler, picked: readonly PanthorGroup[]): KTask<number> {
  const fw = kc.d.fw!;
  const fresh: PanthorGroup[] = [];
  if (picked.some((g) => g.csgId === undefined)) yield* ensureCoresPowered(kc.d);
  for (const [i, g] of picked.entries()) {
    if (g.csgId !== undefined) continue;
    const csg = sched.slots.findIndex((s) => s.group === undefined);
    if (csg < 0) break;
    const as = yield* panthorVmActive(kc.d, g.vm);
    if (as < 0) continue;
    for (const q of g.queues) yield* csSlotProg(fw, csg, q);
    const prio = MAX_CSG_PRIO - i;
    yield* csgSlotProg(fw, csg, g, as, prio);
    sched.slots[csg] = { group: g, priority: prio, idle: false };
    g.csgId = csg;
    fresh.push(g);
  }
  if (fresh.length === 0) return 0;
  yield* ringCsgDoorbells(fw, fresh.reduce((m, g) => m | (1 << g.csgId!), 0));
  for (const g of fresh) {
    const ok = yield* waitCsgAcks(fw, g.csgId!, (CSG.STATE_MASK | CSG.ENDPOINT_CONFIG) >>> 0);
    if (!ok) {
      const what = g.state === "suspended" ? "RESUME" : "START";
      g.timedout = true;
      unbindGroup(kc, g);
      yield* terminateGroup(kc, g, "CSG acknowledge timeout");
      yield* scheduleReset(kc, "csg-ack-timeout", `CSG slot did not acknowledge ${what} within 100 ms`, { file: g.file, group: g.handle });
      continue;
    }
    const resumed = g.state === "suspended";
    g.lastBoundTick = sched.ticks;
    yield* groupTransition(kc, g, "bound", resumed ? "resumed" : "started");
    for (const q of g.queues) sched.backend.setResident(q.qid, true, kc.now());
    // Jobs written to the rings while the slot was being programmed: the firmware re-reads CS_INSERT.
    if (hasWork(g)) yield* writel(csfDoorbell(g.csgId! + 1), 1);
  }
  return fresh.length;
}

/**
 * `tick_ctx_update_resched_target`: while groups with work wait for a slot that every resident
 * non-idle group holds, the next full tick is due one period after this one — an earlier target
 * already armed stays (a tick on an event does not postpone the rotation); otherwise no periodic
 * tick (events drive the scheduler).
 */
function updateReschedTarget(sched: Scheduler, now: number, waiting: boolean): void {
  const full = sched.slots.every((s) => s.group !== undefined);
  const idle = sched.slots.some((s) => s.idle);
  if (!waiting || !full || idle) {
    sched.nextTickNs = undefined;
    return;
  }
  const target = now + TICK_PERIOD_NS;
  if (sched.nextTickNs === undefined || sched.nextTickNs <= now || target < sched.nextTickNs) sched.nextTickNs = target;
}

/** One run of `tick_work()`; `rotate` on a periodic tick, which is a full tick (see the module comment). */
export function* tickWork(kc: KernelCtx, rotate: boolean): KTask<void> {
  const sched = kc.d.sched!;
  // `panthor_device_reset_is_pending()`: the reset's post-reset step asks for a tick again.
  if (resetBlocksFirmware(kc.d)) return;
  const now = kc.now();
  const full = rotate || (sched.nextTickNs !== undefined && sched.nextTickNs <= now);
  sched.ticks++;
  yield* tickCtxInit(kc, sched);
  const picked = pickGroups(sched, full);
  const evicted = yield* evictAndReprioritise(kc, sched, picked);
  const started = yield* bindNew(kc, sched, picked);
  sched.lastTickNs = now;
  const waiting = sched.groups.filter((g) => g.csgId === undefined && groupCanRun(g) && hasWork(g)).length;
  updateReschedTarget(sched, now, waiting > 0);
  yield* emit(SchedTickDone, schedPaths(kc.d.dev.gpu).tick, {
    tick: sched.ticks,
    resident: sched.slots.flatMap((s, csg) => (s.group === undefined ? [] : [{ csg, file: s.group.file, group: s.group.handle, priority: s.group.priority, csgPriority: s.priority, idle: s.idle }])),
    started, evicted, waiting, ...(sched.nextTickNs !== undefined ? { nextTickNs: sched.nextTickNs } : {}),
  });
}
