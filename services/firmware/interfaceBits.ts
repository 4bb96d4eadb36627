/**
 * Bit fields of the firmware interface words, as the `#define`s of `panthor_fw.h` spell them
 * (panthor.md §3.4–3.6, cs-isa.md §7.2–7.3). Request bits are written by the host in an input
 * page's `req`, mirrored by the firmware in the output page's `ack`; event bits are toggled by
 * the firmware in `ack` and acknowledged by the host (see `reqAck.ts`).
 */

/** GLB_REQ / GLB_ACK bits. */
export const GLB = {
  HALT: 1 << 0,
  CFG_PROGRESS_TIMER: 1 << 1,
  CFG_ALLOC_EN: 1 << 2,
  CFG_POWEROFF_TIMER: 1 << 3,
  PROTM_ENTER: 1 << 4,
  PERFCNT_EN: 1 << 5,
  PERFCNT_SAMPLE: 1 << 6,
  COUNTER_EN: 1 << 7,
  PING: 1 << 8,
  FWCFG_UPDATE: 1 << 9,
  IDLE_EN: 1 << 10,
  SLEEP: 1 << 12,
  INACTIVE_COMPUTE: 1 << 20,
  INACTIVE_FRAGMENT: 1 << 21,
  INACTIVE_TILER: 1 << 22,
  PROTM_EXIT: 1 << 23,
  PERFCNT_THRESHOLD: 1 << 24,
  PERFCNT_OVERFLOW: 1 << 25,
  IDLE: 1 << 26,
  DBG_CSF: 1 << 30,
  DBG_HOST: 2 ** 31,
  /** `GLB_REQ_MASK = GENMASK(10, 0)`. */
  REQ_MASK: 0x7ff,
  /** `GLB_EVT_MASK = GENMASK(26, 20)`. */
  EVT_MASK: 0x07f0_0000,
} as const;

/** GLB timer words (`progress_timer`, `poweroff_timer`, `idle_timer`). */
export const GLB_TIMER = { VAL_MASK: 0x7fff_ffff, SOURCE_GPU_COUNTER: 2 ** 31 } as const;

/** `enum panthor_fw_halt_status` (GLB output `halt_status`). */
export const GLB_HALT_STATUS = { OK: 0, ON_PANIC: 0x4e, ON_WATCHDOG_EXPIRATION: 0x4f } as const;

/** CSG_REQ / CSG_ACK bits; `STATE` is a 3-bit config field. */
export const CSG = {
  STATE_MASK: 0x7,
  STATE_TERMINATE: 0,
  STATE_START: 1,
  STATE_SUSPEND: 2,
  STATE_RESUME: 3,
  ENDPOINT_CONFIG: 1 << 4,
  STATUS_UPDATE: 1 << 5,
  SYNC_UPDATE: 1 << 28,
  IDLE: 1 << 29,
  DOORBELL: 1 << 30,
  PROGRESS_TIMER_EVENT: 2 ** 31,
  /** `CSG_REQ_MASK`: STATE | ENDPOINT_CONFIG | STATUS_UPDATE. */
  REQ_MASK: 0x7 | (1 << 4) | (1 << 5),
  /** `CSG_EVT_MASK`: SYNC_UPDATE | IDLE | PROGRESS_TIMER_EVENT. */
  EVT_MASK: (1 << 28) + (1 << 29) + 2 ** 31,
} as const;

/** CSG `endpoint_req` fields (`CSG_EP_REQ_*`). */
export const CSG_EP_REQ = {
  COMPUTE_MASK: 0xff,
  FRAGMENT_SHIFT: 8,
  TILER_SHIFT: 16,
  EXCL_COMPUTE: 1 << 20,
  EXCL_FRAGMENT: 1 << 21,
  PRIORITY_SHIFT: 28,
} as const;

/** CSG output `status_state` bits. */
export const CSG_STATUS_STATE = { IS_IDLE: 1 << 0 } as const;

/** CS_REQ / CS_ACK bits; `STATE` is a 3-bit config field. */
export const CS = {
  STATE_MASK: 0x7,
  STATE_STOP: 0,
  STATE_START: 1,
  EXTRACT_EVENT: 1 << 4,
  IDLE_SYNC_WAIT: 1 << 8,
  IDLE_PROTM_PENDING: 1 << 9,
  IDLE_EMPTY: 1 << 10,
  IDLE_RESOURCE_REQ: 1 << 11,
  TILER_OOM: 1 << 26,
  PROTM_PENDING: 1 << 27,
  FATAL: 1 << 30,
  FAULT: 2 ** 31,
  /** `CS_REQ_MASK`. */
  REQ_MASK: 0x7 | (1 << 4) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11),
  /** `CS_EVT_MASK`: TILER_OOM | PROTM_PENDING | FATAL | FAULT. */
  EVT_MASK: (1 << 26) + (1 << 27) + (1 << 30) + 2 ** 31,
} as const;

/** CS input `config` fields (`CS_CONFIG_PRIORITY`, `CS_CONFIG_DOORBELL`). */
export function csConfig(priority: number, doorbell: number): number {
  return ((priority & 0xf) | ((doorbell & 0xff) << 8)) >>> 0;
}

/** CS output `status_wait` bits (`CS_STATUS_WAIT_*`). */
export const CS_STATUS_WAIT = {
  SB_MASK: 0xffff,
  SB_SRC_SHIFT: 16,
  SB_SRC_NONE: 0,
  SB_SRC_WAIT: 8 << 16,
  SYNC_COND_SHIFT: 24,
  SYNC_COND_LE: 0 << 24,
  SYNC_COND_GT: 1 << 24,
  SYNC_COND_MASK: 0xf << 24,
  PROGRESS: 1 << 28,
  PROTM: 1 << 29,
  SYNC_64B: 1 << 30,
  SYNC: 2 ** 31,
} as const;

/** `CS_STATUS_BLOCKED_REASON_*`. */
export const CS_STATUS_BLOCKED_REASON = {
  UNBLOCKED: 0,
  SB_WAIT: 1,
  PROGRESS_WAIT: 2,
  SYNC_WAIT: 3,
  DEFERRED: 4,
  RESOURCE: 5,
  FLUSH: 6,
} as const;

/** CS control `features`: work registers − 1 [7:0], scoreboards [15:8], COMPUTE/FRAGMENT/TILER bits. */
export const CS_FEATURES = { COMPUTE: 1 << 16, FRAGMENT: 1 << 17, TILER: 1 << 18 } as const;

/** Encode CS `features` (inverse of `CS_FEATURES_WORK_REGS()` / `CS_FEATURES_SCOREBOARDS()`). */
export function encodeCsFeatures(workRegs: number, scoreboards: number, endpoints = CS_FEATURES.COMPUTE | CS_FEATURES.FRAGMENT | CS_FEATURES.TILER): number {
  return (((workRegs - 1) & 0xff) | ((scoreboards & 0xff) << 8) | endpoints) >>> 0;
}

/** Decode CS `features` as panthor does. */
export function decodeCsFeatures(features: number): { workRegs: number; scoreboards: number; compute: boolean; fragment: boolean; tiler: boolean } {
  return {
    workRegs: (features & 0xff) + 1,
    scoreboards: (features >>> 8) & 0xff,
    compute: (features & CS_FEATURES.COMPUTE) !== 0,
    fragment: (features & CS_FEATURES.FRAGMENT) !== 0,
    tiler: (features & CS_FEATURES.TILER) !== 0,
  };
}

/** `CSF_IFACE_VERSION(major, minor, patch)`: major [31:24], minor [23:16], patch [15:0]. */
export function encodeIfaceVersion(v: { major: number; minor: number; patch: number }): number {
  return ((v.major & 0xff) * 2 ** 24 + ((v.minor & 0xff) << 16) + (v.patch & 0xffff)) >>> 0;
}

/** Inverse of {@link encodeIfaceVersion}. */
export function decodeIfaceVersion(v: number): { major: number; minor: number; patch: number } {
  return { major: v >>> 24, minor: (v >>> 16) & 0xff, patch: v & 0xffff };
}
