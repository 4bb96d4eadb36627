/**
 * The errno values each ioctl may return, from panthor.md §1 (panthor_drv.c) and drm_syncobj.c /
 * drm_gem.c for the core DRM ioctls. The fuzz test checks every answer against this table, so an
 * errno the kernel would never return for an ioctl is a simulator bug.
 *
 * Every ioctl may also fail with the ones in {@link COMMON_ERRNOS}: EBADF (the fd is not an open
 * DRM file, from the VFS), EINVAL (arguments that are not the header's struct — see
 * `userArgs.ts` — or an ioctl number the driver does not know, `drm_ioctl`), EFAULT (a user
 * pointer that faults, `copy_from_user`/`copy_to_user`).
 */
import type { ErrnoName } from "../../../shared/gpu/errno.ts";

/** Errnos any ioctl can return (see the module comment). */
export const COMMON_ERRNOS: readonly ErrnoName[] = ["EBADF", "EINVAL", "EFAULT"];

/** The ioctls of this part, as `DRM_IOCTL_PANTHOR_<name>` and `DRM_IOCTL_<name>` (core DRM) without the prefix. */
export const IOCTL_ERRNOS = {
  /** §1.3: unknown type, size below the minimum → EINVAL. */
  DEV_QUERY: ["EINVAL", "EFAULT"],
  /** §1.5: flags, user_va_range → EINVAL; xa_alloc past 32 VMs → EBUSY; no page for the PGD → ENOMEM. */
  VM_CREATE: ["EINVAL", "EBUSY", "ENOMEM"],
  /** §1.5: unknown id, pad → EINVAL. */
  VM_DESTROY: ["EINVAL"],
  /** §1.6: every argument rule → EINVAL; obj_array copies → E2BIG/EFAULT; wait syncobj not found → ENOENT; pages or page tables → ENOMEM. */
  VM_BIND: ["EINVAL", "E2BIG", "EFAULT", "ENOENT", "ENOMEM"],
  /** §1.5: unknown id, pad → EINVAL. */
  VM_GET_STATE: ["EINVAL"],
  /** §1.7: size 0, flags, pad, exclusive_vm_id → EINVAL. */
  BO_CREATE: ["EINVAL", "ENOMEM"],
  /** §1.7: unknown handle → ENOENT; pad → EINVAL; NO_MMAP → EPERM. */
  BO_MMAP_OFFSET: ["ENOENT", "EINVAL", "EPERM"],
  /** §1.7: label longer than 4096 with its NUL → E2BIG; bad handle → ENOENT; pad → EINVAL; bad pointer → EFAULT. */
  BO_SET_LABEL: ["E2BIG", "ENOENT", "EINVAL", "EFAULT"],
  /** §1.7 (1.7): unknown handle → ENOENT; pad → EINVAL. */
  BO_QUERY_INFO: ["ENOENT", "EINVAL"],
  /** §1.7 (1.7): unknown op type or range outside the BO → EINVAL; unknown handle → ENOENT; obj_array → E2BIG/EFAULT. */
  BO_SYNC: ["EINVAL", "ENOENT", "E2BIG", "EFAULT"],
  /** §1.8: queue count, pad, core masks, priority above REALTIME, VM, ring sizes → EINVAL; above MEDIUM → EACCES; 129th group → EBUSY; obj_array → E2BIG/EFAULT; memory → ENOMEM. */
  GROUP_CREATE: ["EINVAL", "EACCES", "EBUSY", "E2BIG", "EFAULT", "ENOMEM"],
  /** §1.8: pad, unknown handle → EINVAL. */
  GROUP_DESTROY: ["EINVAL"],
  /** §1.9: every argument rule and a group that cannot run → EINVAL; obj_arrays → E2BIG/EFAULT; wait syncobj not found → ENOENT. */
  GROUP_SUBMIT: ["EINVAL", "E2BIG", "EFAULT", "ENOENT"],
  /** §1.8: pad, unknown handle → EINVAL. */
  GROUP_GET_STATE: ["EINVAL"],
  /** §1.10: argument rules, unknown VM → EINVAL; 129th heap of a pool → EBUSY; chunks → ENOMEM. */
  TILER_HEAP_CREATE: ["EINVAL", "EBUSY", "ENOMEM"],
  /** §1.10: unknown VM or heap, pad → EINVAL; a VM without a heap pool → ENOENT. */
  TILER_HEAP_DESTROY: ["EINVAL", "ENOENT"],
  /** drm_gem_close_ioctl: pad or unknown handle → EINVAL. */
  GEM_CLOSE: ["EINVAL"],
  /** drm_syncobj_create_ioctl: unknown flags → EINVAL. */
  SYNCOBJ_CREATE: ["EINVAL", "ENOMEM"],
  /** drm_syncobj_destroy_ioctl: pad or unknown handle → EINVAL. */
  SYNCOBJ_DESTROY: ["EINVAL"],
  /** Unknown handle → EINVAL (ENOENT when exporting a sync_file); no fence to export → EINVAL. */
  SYNCOBJ_HANDLE_TO_FD: ["EINVAL", "ENOENT"],
  /** fd that is no syncobj or sync_file → EINVAL; import into an unknown handle → ENOENT. */
  SYNCOBJ_FD_TO_HANDLE: ["EINVAL", "ENOENT"],
  /** Unknown handle → ENOENT; no fence without WAIT_FOR_SUBMIT → EINVAL; timeout → ETIME. */
  SYNCOBJ_WAIT: ["EINVAL", "ENOENT", "ETIME"],
  SYNCOBJ_TIMELINE_WAIT: ["EINVAL", "ENOENT", "ETIME"],
  /** pad, count 0 → EINVAL; unknown handle → ENOENT. */
  SYNCOBJ_RESET: ["EINVAL", "ENOENT"],
  SYNCOBJ_SIGNAL: ["EINVAL", "ENOENT", "ENOMEM"],
  SYNCOBJ_TIMELINE_SIGNAL: ["EINVAL", "ENOENT", "ENOMEM"],
  SYNCOBJ_QUERY: ["EINVAL", "ENOENT"],
  /** pad → EINVAL; unknown handles → ENOENT; no fence at the point → EINVAL (ETIME after WAIT_FOR_SUBMIT's 5 s). */
  SYNCOBJ_TRANSFER: ["EINVAL", "ENOENT", "ETIME", "ENOMEM"],
} as const satisfies Record<string, readonly ErrnoName[]>;

/** An ioctl name the driver knows. */
export type IoctlName = keyof typeof IOCTL_ERRNOS;

/** Every ioctl name, in table order. */
export const IOCTL_NAMES = Object.keys(IOCTL_ERRNOS) as IoctlName[];

/** Is `name` an ioctl the driver knows? */
export function isIoctlName(name: string): name is IoctlName {
  return Object.hasOwn(IOCTL_ERRNOS, name);
}

/** The errnos `ioctl` may return, the common ones included (an unknown name: only EINVAL and EBADF). */
export function documentedErrnos(ioctl: string): ReadonlySet<ErrnoName> {
  const own: readonly ErrnoName[] = isIoctlName(ioctl) ? IOCTL_ERRNOS[ioctl] : [];
  return new Set<ErrnoName>([...COMMON_ERRNOS, ...own]);
}
