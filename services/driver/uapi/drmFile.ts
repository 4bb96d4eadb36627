/**
 * DRM files: `drm_open` → `panthor_open` (a file with empty handle, VM and syncobj tables) and
 * the release path, `drm_file_free` → `drm_gem_release`, `drm_syncobj_release`,
 * `panthor_postclose` (VM pool destroyed). A file goes `open` → `closing` (its ioctls now see a
 * bad fd) → gone; VM teardown touches the MMU, so closing takes virtual time.
 */
import type { KTask } from "../ktask.ts";
import type { DriverState, DrmFileState } from "./driverState.ts";
import { dropMappings } from "./cpuAccess.ts";
import { gemRun } from "./gemShell.ts";
import type { KernelCtx } from "./ioctlContext.ts";
import { destroyFileVms } from "./vmPool.ts";
import { destroyFileGroups } from "../sched/groupPool.ts";

/** `panthor_open`: a new file for `client` (with its process's CAP_SYS_NICE), numbered from 1. */
export function openDrmFile(d: DriverState, client: string, capSysNice = false): DrmFileState {
  const f: DrmFileState = { id: d.nextFile++, client, capSysNice, status: "open", vms: new Map(), mappings: new Map(), groups: new Map() };
  d.files.set(f.id, f);
  return f;
}

/**
 * The release of a file, in the kernel's order after the process's mappings are gone: the group
 * pool (`panthor_group_pool_destroy`: groups terminated, their fences signalled), GEM handles,
 * syncobj handles, then the VM pool (whose teardown unpins what the VMs mapped, so BOs
 * whose last reference that was are freed there).
 */
export function* closeDrmFile(c: KernelCtx, f: DrmFileState): KTask<void> {
  f.status = "closing";
  yield* destroyFileGroups(c, f);
  yield* dropMappings(c.d, f);
  yield* gemRun(c.d, { type: "closeFile", file: f.id });
  c.d.syncobjs.closeFile(f.id);
  yield* destroyFileVms(c, f);
  c.d.files.delete(f.id);
}
