/**
 * Linux errno values returned by the simulated driver and its uAPI, as one table.
 *
 * Values are the generic ones from `include/uapi/asm-generic/errno-base.h` and
 * `include/uapi/asm-generic/errno.h` (arm64 uses the generic set). The kernel returns them
 * negated (`return -EINVAL;`); tyrsim stores the positive number and negates at the boundary,
 * exactly as the kernel's `-ERRNO` idiom does. Which ioctl returns which code is described in
 * panthor.md §1 (uAPI) and §4.5 (fence errors).
 */
export const ERRNO = {
  /** Operation not permitted. */
  EPERM: 1,
  /** No such file or directory; also "no such handle" in some DRM paths. */
  ENOENT: 2,
  /** No such process; drm_sched's error for jobs killed with their entity. */
  ESRCH: 3,
  /** Interrupted system call (a wait was interrupted by a signal). */
  EINTR: 4,
  /** I/O error; a CS fault propagated through a sync object. */
  EIO: 5,
  /** No such device or address. */
  ENXIO: 6,
  /** Argument list too long: `copy_struct_from_user` found non-zero bytes past the kernel struct. */
  E2BIG: 7,
  /** Bad file descriptor (sync-file / syncobj fd). */
  EBADF: 9,
  /** Try again. */
  EAGAIN: 11,
  /** Out of memory: GEM allocation or page-table pre-reservation failed. */
  ENOMEM: 12,
  /** Permission denied: group priority above MEDIUM without CAP_SYS_NICE or DRM master. */
  EACCES: 13,
  /** Bad address: a user pointer could not be copied. */
  EFAULT: 14,
  /** Device or resource busy: no AS slot can be evicted, all Tyr slots active. */
  EBUSY: 16,
  /** File exists. */
  EEXIST: 17,
  /** No such device: `drm_dev_enter()` failed (device unplugged). */
  ENODEV: 19,
  /** Invalid argument: the uAPI's default answer (bad pad, flags, sizes, handles). */
  EINVAL: 22,
  /** Inappropriate ioctl for device: unknown ioctl number (drm_ioctl). */
  ENOTTY: 25,
  /** No space left on device: VA range exhausted. */
  ENOSPC: 28,
  /** Result out of range. */
  ERANGE: 34,
  /** Resource deadlock would occur. */
  EDEADLK: 35,
  /** Function not implemented. */
  ENOSYS: 38,
  /** No data available. */
  ENODATA: 61,
  /** Timer expired (dma_fence_wait_timeout style). */
  ETIME: 62,
  /** Value too large for defined data type. */
  EOVERFLOW: 75,
  /** Operation not supported. */
  EOPNOTSUPP: 95,
  /** Connection timed out: job timeout fence error; a poll on a register never met its condition. */
  ETIMEDOUT: 110,
  /** Operation cancelled: group destroyed, terminated or device unplugged. */
  ECANCELED: 125,
  /** Kernel-internal (`include/linux/errno.h`), never seen by user space: restart the syscall. */
  ERESTARTSYS: 512,
  /** Kernel-internal: a probe dependency (clock, regulator) is not ready yet; probe again later. */
  EPROBE_DEFER: 517,
} as const;

/** The symbolic name of an errno, e.g. `"EINVAL"`. */
export type ErrnoName = keyof typeof ERRNO;

/** A known errno value. */
export type Errno = (typeof ERRNO)[ErrnoName];

const NAME_BY_VALUE: ReadonlyMap<number, ErrnoName> = new Map(
  (Object.entries(ERRNO) as [ErrnoName, number][]).map(([name, value]) => [value, name]),
);

/**
 * The symbolic name of an errno for readable logs. Accepts the kernel's negated form too
 * (`errnoName(-22) === "EINVAL"`); an unknown value renders as `"errno 123"`.
 *
 * @example errnoName(ERRNO.ETIMEDOUT) // "ETIMEDOUT"
 */
export function errnoName(n: number): string {
  return NAME_BY_VALUE.get(Math.abs(n)) ?? `errno ${n}`;
}

/** True when `n` (positive or negated) is one of the errno values in {@link ERRNO}. */
export function isKnownErrno(n: number): boolean {
  return NAME_BY_VALUE.has(Math.abs(n));
}
