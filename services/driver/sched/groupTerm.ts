/**
 * Group transitions the scheduler applies after the firmware answered (panthor_sched.c):
 * binding a group to a CSG slot, unbinding it after SUSPEND or TERMINATE
 * (`csg_slot_sync_state_locked`, `group_unbind_locked`), and `group_term_post_processing` — a
 * terminated group's jobs are all signalled (-EINVAL for a queue with a fatal fault, -ETIMEDOUT
 * for a timed-out group, -ECANCELED otherwise) and each queue's sync object is set to
 * `{ seqno: last submitted, status: ~0 }` so a stream waiting on it is released.
 */
import { SYNCOBJ_64B_SIZE } from "../../firmware/index.ts";
import type { LossReason } from "../../jobqueue/index.ts";
import { emit, type KTask } from "../ktask.ts";
import type { KernelCtx } from "../uapi/ioctlContext.ts";
import { kernelBoWrite } from "../uapi/kernelBo.ts";
import { panthorVmIdle } from "./asLru.ts";
import { groupEvolve, type GroupEvent } from "./groupLifecycle.ts";
import { GroupStateChanged, schedPaths } from "./schedEvents.ts";
import type { PanthorGroup } from "./schedTypes.ts";

/** Apply a lifecycle event to a group and report the new state. */
export function* groupTransition(kc: KernelCtx, g: PanthorGroup, event: GroupEvent, reason: string): KTask<void> {
  const next = groupEvolve(g.state, event);
  if (next === undefined) throw new Error(`group ${g.file}/${g.handle}: ${event} in state ${g.state}`);
  g.state = next;
  const slot = g.csgId === undefined ? undefined : kc.d.sched!.slots[g.csgId];
  yield* emit(GroupStateChanged, schedPaths(kc.d.dev.gpu).group, {
    file: g.file, group: g.handle, state: next, reason,
    ...(slot !== undefined && next === "active" ? { csg: g.csgId!, csgPriority: slot.priority, as: g.vm.as ?? 0 } : {}),
  });
}

/** `group_unbind_locked`: the group leaves its slot; its queues stop counting resident time; its VM may be idled. */
export function unbindGroup(kc: KernelCtx, g: PanthorGroup): void {
  const sched = kc.d.sched!;
  if (g.csgId === undefined) return;
  const slot = sched.slots[g.csgId]!;
  slot.group = undefined;
  slot.idle = false;
  slot.priority = 0;
  g.csgId = undefined;
  for (const q of g.queues) sched.backend.setResident(q.qid, false, kc.now());
  panthorVmIdle(kc.d, g.vm);
}

/** Why a terminated group's queue lost its jobs. */
function lossReason(g: PanthorGroup, queue: number): LossReason {
  if ((g.fatalQueues & (1 << queue)) !== 0) return "fatal-fault";
  return g.timedout ? "timeout" : "cancelled";
}

/** `group_term_post_processing`: see the module comment. The group must be off its slot. */
export function* terminateGroup(kc: KernelCtx, g: PanthorGroup, reason: string): KTask<void> {
  const sched = kc.d.sched!;
  for (const q of g.queues) {
    sched.backend.kill(q.qid, lossReason(g, q.index), kc.now());
    q.onRing.length = 0;
    const b = new Uint8Array(SYNCOBJ_64B_SIZE);
    const v = new DataView(b.buffer);
    v.setUint32(0, q.ringSeqno % 2 ** 32, true);
    v.setUint32(4, Math.floor(q.ringSeqno / 2 ** 32), true);
    v.setUint32(8, 0xffff_ffff, true);
    yield* kernelBoWrite(kc.d, g.syncobjs, q.index * SYNCOBJ_64B_SIZE, b);
  }
  if (g.state !== "terminated") yield* groupTransition(kc, g, "terminated", reason);
}
