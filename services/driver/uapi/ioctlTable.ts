/**
 * The driver's ioctl table (`panthor_drm_driver_ioctls[]` plus the core DRM ioctls tyrsim
 * models), by the names of `ioctlErrnos.ts`. `since` is the driver minor version that introduced
 * an ioctl; on an older device it does not exist and `drm_ioctl` answers -EINVAL, as for any
 * number past the table. The group and tiler-heap ioctls live in `../sched/`.
 */
import { boCreate, boMmapOffset, boQueryInfo, boSetLabel, boSync, gemClose } from "./boIoctls.ts";
import { devQuery } from "./devQuery.ts";
import { groupCreate } from "../sched/groupCreate.ts";
import { groupDestroy, groupGetState } from "../sched/groupPool.ts";
import { groupSubmit } from "../sched/groupSubmit.ts";
import { tilerHeapCreate, tilerHeapDestroy } from "../sched/tilerHeap.ts";
import type { IoctlHandler } from "./ioctlContext.ts";
import { isIoctlName, type IoctlName } from "./ioctlErrnos.ts";
import {
  syncobjCreate, syncobjDestroy, syncobjFdToHandle, syncobjHandleToFd, syncobjQuery, syncobjReset, syncobjSignal, syncobjTimelineSignal, syncobjTransfer,
} from "./syncobjIoctls.ts";
import { syncobjTimelineWait, syncobjWait } from "./syncobjWait.ts";
import { vmBind } from "./vmBindIoctl.ts";
import { vmCreate, vmDestroy, vmGetState } from "./vmPool.ts";

/** One table entry. */
export interface IoctlEntry {
  readonly handler: IoctlHandler;
  /** Driver minor version that added the ioctl. */
  readonly since: number;
}

/** Every ioctl the driver answers. */
export const IOCTL_TABLE: Readonly<Record<IoctlName, IoctlEntry>> = {
  DEV_QUERY: { handler: devQuery, since: 0 },
  VM_CREATE: { handler: vmCreate, since: 0 },
  VM_DESTROY: { handler: vmDestroy, since: 0 },
  VM_BIND: { handler: vmBind, since: 0 },
  VM_GET_STATE: { handler: vmGetState, since: 0 },
  BO_CREATE: { handler: boCreate, since: 0 },
  BO_MMAP_OFFSET: { handler: boMmapOffset, since: 0 },
  GROUP_CREATE: { handler: groupCreate, since: 0 },
  GROUP_DESTROY: { handler: groupDestroy, since: 0 },
  GROUP_SUBMIT: { handler: groupSubmit, since: 0 },
  GROUP_GET_STATE: { handler: groupGetState, since: 0 },
  TILER_HEAP_CREATE: { handler: tilerHeapCreate, since: 0 },
  TILER_HEAP_DESTROY: { handler: tilerHeapDestroy, since: 0 },
  BO_SET_LABEL: { handler: boSetLabel, since: 4 },
  BO_SYNC: { handler: boSync, since: 7 },
  BO_QUERY_INFO: { handler: boQueryInfo, since: 7 },
  GEM_CLOSE: { handler: gemClose, since: 0 },
  SYNCOBJ_CREATE: { handler: syncobjCreate, since: 0 },
  SYNCOBJ_DESTROY: { handler: syncobjDestroy, since: 0 },
  SYNCOBJ_HANDLE_TO_FD: { handler: syncobjHandleToFd, since: 0 },
  SYNCOBJ_FD_TO_HANDLE: { handler: syncobjFdToHandle, since: 0 },
  SYNCOBJ_WAIT: { handler: syncobjWait, since: 0 },
  SYNCOBJ_TIMELINE_WAIT: { handler: syncobjTimelineWait, since: 0 },
  SYNCOBJ_RESET: { handler: syncobjReset, since: 0 },
  SYNCOBJ_SIGNAL: { handler: syncobjSignal, since: 0 },
  SYNCOBJ_TIMELINE_SIGNAL: { handler: syncobjTimelineSignal, since: 0 },
  SYNCOBJ_QUERY: { handler: syncobjQuery, since: 0 },
  SYNCOBJ_TRANSFER: { handler: syncobjTransfer, since: 0 },
};

/** The handler for `name` on a device of minor version `minor`, or undefined (`drm_ioctl`'s -EINVAL). */
export function ioctlHandler(name: string, minor: number): IoctlHandler | undefined {
  if (!isIoctlName(name)) return undefined;
  const e = IOCTL_TABLE[name];
  return e.since <= minor ? e.handler : undefined;
}
