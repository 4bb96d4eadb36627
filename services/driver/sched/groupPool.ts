/**
 * The rest of a group's life in its file's pool (`panthor_group_pool_*`, panthor.md §1.8):
 * DRM_IOCTL_PANTHOR_GROUP_GET_STATE (TIMEDOUT, FATAL_FAULT with `fatal_queues`, INNOCENT),
 * DRM_IOCTL_PANTHOR_GROUP_DESTROY (pad or unknown handle → -EINVAL), and the destruction the
 * ioctl, file close and VM destroy share (`panthor_group_destroy` → `group_release_work`): the
 * group is marked destroyed; a resident one is evicted and terminated by a tick (the caller waits
 * for it), one off its slot is terminated at once — every fence signalled, -ECANCELED unless a
 * fault or timeout says otherwise — then its kernel BOs are released.
 *
 * Deviation: panthor keeps a VM alive while a group uses it and tears the group down later;
 * tyrsim destroys the VM's groups first when the VM is destroyed.
 */
import { z } from "zod";
import { emit, mutexLock, mutexUnlock, waitEvent, type KTask } from "../ktask.ts";
import type { DrmFileState, PanthorVm } from "../uapi/driverState.ts";
import { fail, failed, ok, type IoctlCtx, type IoctlResult, type KernelCtx } from "../uapi/ioctlContext.ts";
import { parseArgs, U32 } from "../uapi/userArgs.ts";
import { freeGroupBos } from "./groupCreate.ts";
import { groupStateFlags } from "./groupLifecycle.ts";
import { terminateGroup, unbindGroup } from "./groupTerm.ts";
import { GroupDestroyed, schedPaths } from "./schedEvents.ts";
import { requestTick } from "./schedKick.ts";
import type { PanthorGroup } from "./schedTypes.ts";

const MS = 1_000_000;
const HandlePadArgs = z.object({ group_handle: U32, pad: U32 });
const GetStateArgs = z.object({ group_handle: U32, state: U32, fatal_queues: U32, pad: U32 });

/** Destroy `g` (already out of its file's pool): terminate it, then release its BOs. */
export function* destroyGroup(kc: KernelCtx, g: PanthorGroup): KTask<void> {
  const sched = kc.d.sched!;
  g.destroyed = true;
  if (g.csgId !== undefined) {
    requestTick(kc);
    // A tick evicts it (TERMINATE); one that cannot get an answer still unbinds it within 100 ms.
    yield* waitEvent(() => (g.csgId === undefined ? true : undefined), 1000 * MS);
  }
  yield* mutexLock(sched.lock);
  unbindGroup(kc, g);
  if (g.state !== "terminated") yield* terminateGroup(kc, g, "destroyed");
  if (!g.released) {
    g.released = true;
    const i = sched.groups.indexOf(g);
    if (i >= 0) sched.groups.splice(i, 1);
    // `byQueue` keeps the queues: the job worker may still have their last fence effects to publish.
    yield* freeGroupBos(kc.d, [g.suspendBuf, g.protmSuspendBuf, g.syncobjs, ...g.queues.flatMap((q) => [q.ring, q.iface.bo])]);
  }
  yield* mutexUnlock(sched.lock);
  yield* emit(GroupDestroyed, schedPaths(kc.d.dev.gpu).group, { file: g.file, group: g.handle });
}

/** DRM_IOCTL_PANTHOR_GROUP_DESTROY. */
export function* groupDestroy(c: IoctlCtx, raw: unknown): KTask<IoctlResult> {
  const a = parseArgs(HandlePadArgs, raw);
  if (!a.ok) return failed(a);
  if (a.value.pad !== 0) return fail("EINVAL");
  const g = c.file.groups.get(a.value.group_handle);
  if (g === undefined) return fail("EINVAL");
  c.file.groups.delete(g.handle);
  yield* destroyGroup(c, g);
  return ok();
}

/** DRM_IOCTL_PANTHOR_GROUP_GET_STATE. Out: `state`, `fatal_queues`. */
export function groupGetState(c: IoctlCtx, raw: unknown): IoctlResult {
  const a = parseArgs(GetStateArgs, raw);
  if (!a.ok) return failed(a);
  if (a.value.pad !== 0) return fail("EINVAL");
  const g = c.file.groups.get(a.value.group_handle);
  if (g === undefined) return fail("EINVAL");
  return ok({ state: groupStateFlags(g, c.d.uapiMinor), fatal_queues: g.fatalQueues });
}

/** `panthor_group_pool_destroy` at file close: every group of the file, by handle. */
export function* destroyFileGroups(kc: KernelCtx, file: DrmFileState): KTask<void> {
  const groups = [...file.groups.values()].sort((a, b) => a.handle - b.handle);
  file.groups.clear();
  for (const g of groups) yield* destroyGroup(kc, g);
}

/** Before a VM goes: destroy the groups that run in it (see the deviation in the module comment). */
export function* destroyVmGroups(kc: KernelCtx, vm: PanthorVm): KTask<void> {
  const sched = kc.d.sched;
  if (sched === undefined) return;
  for (const g of sched.groups.filter((x) => x.vm === vm)) {
    kc.d.files.get(g.file)?.groups.delete(g.handle);
    yield* destroyGroup(kc, g);
  }
}
