/**
 * Bit fields, values and command encodings of the registers in `registers.ts`, from
 * `panthor_regs.h`. Keys drop the kernel's prefix, which the object name carries:
 * `GPU_IRQ.RESET_COMPLETED` is the kernel's `GPU_IRQ_RESET_COMPLETED`.
 *
 * All masks are unsigned 32-bit numbers; bit 31 is written `0x8000_0000` (JavaScript's `1 << 31`
 * is negative), so combine with `|` and normalise with `>>> 0`.
 */

/** GPU_INT_RAWSTAT / CLEAR / MASK / STAT bits (`GPU_IRQ_*`). */
export const GPU_IRQ = {
  FAULT: 1 << 0,
  PROTM_FAULT: 1 << 1,
  RESET_COMPLETED: 1 << 8,
  /** One power domain finished a transition ("POWER_CHANGED_SINGLE" in kbase). */
  POWER_CHANGED: 1 << 9,
  POWER_CHANGED_ALL: 1 << 10,
  CLEAN_CACHES_COMPLETED: 1 << 17,
  DOORBELL_MIRROR: 1 << 18,
  MCU_STATUS_CHANGED: 1 << 19,
} as const;

/** GPU_CMD encoding: `GPU_CMD_DEF(type, payload) = type | payload << 8`. */
export function gpuCmdDef(type: number, payload: number): number {
  return (type | (payload << 8)) >>> 0;
}

/** GPU_CMD command types used by panthor (type byte of `GPU_CMD_DEF`). */
export const GPU_CMD_TYPE = { RESET: 1, FLUSH_CACHES: 4 } as const;

/** GPU_CMD values (`GPU_SOFT_RESET`, `GPU_HARD_RESET`). */
export const GPU_CMD = {
  SOFT_RESET: gpuCmdDef(GPU_CMD_TYPE.RESET, 1),
  HARD_RESET: gpuCmdDef(GPU_CMD_TYPE.RESET, 2),
} as const;

/** Per-cache operation nibble for `GPU_FLUSH_CACHES` (`CACHE_CLEAN`, `CACHE_INV`; 3 = both). */
export const CACHE_OP = { NONE: 0, CLEAN: 1 << 0, INV: 1 << 1, CLEAN_INV: 3 } as const;

/** `GPU_FLUSH_CACHES(l2, lsc, oth)`: one GPU_CMD that cleans/invalidates L2, LSC and other caches. */
export function gpuFlushCaches(l2: number, lsc: number, other: number): number {
  return gpuCmdDef(GPU_CMD_TYPE.FLUSH_CACHES, (l2 & 0xf) | ((lsc & 0xf) << 4) | ((other & 0xf) << 8));
}

/** A decoded GPU_CMD write, as the simulated GPU acts on it. */
export type GpuCommand =
  | { readonly kind: "SOFT_RESET" }
  | { readonly kind: "HARD_RESET" }
  | { readonly kind: "FLUSH_CACHES"; readonly l2: number; readonly lsc: number; readonly other: number }
  | { readonly kind: "UNKNOWN"; readonly type: number; readonly payload: number };

/** Decode a value written to GPU_CMD (inverse of {@link gpuCmdDef}/{@link gpuFlushCaches}). */
export function decodeGpuCmd(value: number): GpuCommand {
  const type = value & 0xff;
  const payload = value >>> 8;
  if (type === GPU_CMD_TYPE.RESET && payload === 1) return { kind: "SOFT_RESET" };
  if (type === GPU_CMD_TYPE.RESET && payload === 2) return { kind: "HARD_RESET" };
  if (type === GPU_CMD_TYPE.FLUSH_CACHES) {
    return { kind: "FLUSH_CACHES", l2: payload & 0xf, lsc: (payload >> 4) & 0xf, other: (payload >> 8) & 0xf };
  }
  return { kind: "UNKNOWN", type, payload };
}

/** GPU_STATUS bits (`GPU_STATUS_*`). */
export const GPU_STATUS = {
  ACTIVE: 1 << 0,
  PWR_ACTIVE: 1 << 1,
  PAGE_FAULT: 1 << 4,
  PROTM_ACTIVE: 1 << 7,
  DBG_ENABLED: 1 << 8,
} as const;

/** Value written to GPU_PWR_KEY to unlock the PWR_OVERRIDE registers (`GPU_PWR_KEY_UNLOCK`). */
export const GPU_PWR_KEY_UNLOCK = 0x2968a819;

/** GPU_COHERENCY_PROTOCOL values; GPU_COHERENCY_FEATURES has bit `1 << value` per supported one. */
export const GPU_COHERENCY = { ACE_LITE: 0, ACE: 1, NONE: 31 } as const;

/** MCU_CONTROL values (`MCU_CONTROL_*`); panthor boots the MCU with AUTO. */
export const MCU_CONTROL = { DISABLE: 0, ENABLE: 1, AUTO: 2 } as const;

/** MCU_STATUS values (`MCU_STATUS_*`). */
export const MCU_STATUS = { DISABLED: 0, ENABLED: 1, HALT: 2, FATAL: 3 } as const;

/** JOB_INT bit raised for a global-interface event (`JOB_INT_GLOBAL_IF`, bit 31). */
export const JOB_INT_GLOBAL_IF = 0x8000_0000;

/** JOB_INT bit raised for an event on CSG slot `n` (`JOB_INT_CSG_IF(n)`). */
export function jobIntCsgIf(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 30) throw new RangeError(`CSG slot must be 0..30, got ${n}`);
  return 1 << n;
}

/** MMU_INT bits panthor handles: page fault on AS n is bit n (`panthor_mmu_as_fault_mask()`). */
export const MMU_INT_PAGE_FAULT_MASK = 0xffff;

/** MMU_INT bit for a page fault on address space `as`. */
export function mmuIntPageFault(as: number): number {
  if (!Number.isInteger(as) || as < 0 || as > 15) throw new RangeError(`AS must be 0..15, got ${as}`);
  return 1 << as;
}

/** AS_COMMAND codes (`AS_COMMAND_*`). */
export const AS_COMMAND = { NOP: 0, UPDATE: 1, LOCK: 2, UNLOCK: 3, FLUSH_PT: 4, FLUSH_MEM: 5 } as const;

/** Smallest lockable region (`AS_LOCK_REGION_MIN_SIZE`, 32 KiB). */
export const AS_LOCK_REGION_MIN_SIZE = 1 << 15;

/** AS_STATUS bit: a command is in progress (`AS_STATUS_AS_ACTIVE`). */
export const AS_STATUS_AS_ACTIVE = 1 << 0;

/** AS_FAULTSTATUS access type, bits [9:8] (`AS_FAULTSTATUS_ACCESS_TYPE_*`, shifted down). */
export const AS_FAULT_ACCESS = { ATOMIC: 0, EX: 1, READ: 2, WRITE: 3 } as const;

/** Fields of AS_FAULTSTATUS: exception type [7:0], access type [9:8], source id [31:16]. */
export interface AsFaultStatus {
  readonly exceptionType: number;
  readonly accessType: number;
  readonly sourceId: number;
}

/** Encode AS_FAULTSTATUS as the MMU latches it on a fault. */
export function encodeAsFaultStatus(f: AsFaultStatus): number {
  return ((f.exceptionType & 0xff) | ((f.accessType & 0x3) << 8) | ((f.sourceId & 0xffff) << 16)) >>> 0;
}

/** Decode AS_FAULTSTATUS, as `panthor_mmu_irq_handler()` does before logging the fault. */
export function decodeAsFaultStatus(v: number): AsFaultStatus {
  return { exceptionType: v & 0xff, accessType: (v >>> 8) & 0x3, sourceId: v >>> 16 };
}

/** AS_TRANSCFG low-word fields (`AS_TRANSCFG_*`). */
export const AS_TRANSCFG = {
  ADRMODE_UNMAPPED: 1,
  ADRMODE_IDENTITY: 2,
  ADRMODE_AARCH64_4K: 6,
  ADRMODE_AARCH64_64K: 8,
  ADRMODE_MASK: 0xf,
  SL_CONCAT: 1 << 22,
  PTW_MEMATTR_NC: 1 << 24,
  PTW_MEMATTR_WB: 2 << 24,
  PTW_SH_NS: 0 << 28,
  PTW_SH_OS: 2 << 28,
  PTW_SH_IS: 3 << 28,
  PTW_RA: 1 << 30,
} as const;

/** AS_TRANSCFG bits 33..36, as bits of the TRANSCFG_HI word. */
export const AS_TRANSCFG_HI = {
  DISABLE_HIER_AP: 1 << (33 - 32),
  DISABLE_AF_FAULT: 1 << (34 - 32),
  WXN: 1 << (35 - 32),
  XREADABLE: 1 << (36 - 32),
} as const;

/** `AS_TRANSCFG_INA_BITS(x)`: input-address bits field; panthor writes 55 − va_bits. */
export const asTranscfgInaBits = (x: number): number => (x & 0x1f) << 6;

/** `AS_TRANSCFG_OUTA_BITS(x)`: output-address bits field. */
export const asTranscfgOutaBits = (x: number): number => (x & 0x1f) << 14;

/** One 8-bit AS_MEMATTR attribute fields (`AS_MEMATTR_AARCH64_*`). */
export const AS_MEMATTR = {
  INNER_ALLOC_IMPL: 2 << 2,
  SH_MIDGARD_INNER: 0 << 4,
  SH_CPU_INNER: 1 << 4,
  SH_CPU_INNER_SHADER_COH: 2 << 4,
  SHARED: 0 << 6,
  INNER_OUTER_NC: 1 << 6,
  INNER_OUTER_WB: 2 << 6,
  FAULT: 3 << 6,
} as const;

/** `AS_MEMATTR_AARCH64_INNER_ALLOC_EXPL(w, r)`: explicit write/read allocate hints. */
export function asMemattrInnerAllocExpl(w: boolean, r: boolean): number {
  return (3 << 2) | (w ? 1 : 0) | (r ? 2 : 0);
}

/** L2 cache line size in bytes: `GPU_L2_FEATURES_LINE_SIZE(x) = 1 << (x & 0xff)`. */
export const l2LineSize = (l2Features: number): number => 2 ** (l2Features & 0xff);

/** GPU VA bits: `GPU_MMU_FEATURES_VA_BITS(x) = x & 0xff`. */
export const mmuVaBits = (mmuFeatures: number): number => mmuFeatures & 0xff;

/** GPU PA bits: `GPU_MMU_FEATURES_PA_BITS(x) = (x >> 8) & 0xff`. */
export const mmuPaBits = (mmuFeatures: number): number => (mmuFeatures >>> 8) & 0xff;

/** MEM_FEATURES bit 0 (`GROUPS_L2_COHERENT`): all core groups share a coherent L2. */
export const GROUPS_L2_COHERENT = 1 << 0;

/** Number of L2 slices, MEM_FEATURES[11:8] + 1 (as Mesa's `pan_query_l2_slices`). */
export const l2Slices = (memFeatures: number): number => ((memFeatures >>> 8) & 0xf) + 1;

/**
 * Names of the bits set in `value`, joined by `|`, for readable logs; leftover unnamed bits are
 * shown in hex.
 *
 * @example describeBits(GPU_IRQ, 0x300) // "RESET_COMPLETED|POWER_CHANGED"
 */
export function describeBits(table: Readonly<Record<string, number>>, value: number): string {
  let rest = value >>> 0;
  const names: string[] = [];
  for (const [name, bit] of Object.entries(table)) {
    if (bit !== 0 && (bit & (bit - 1)) === 0 && (rest & bit) !== 0) {
      names.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  }
  if (rest !== 0) names.push(`0x${rest.toString(16)}`);
  return names.length > 0 ? names.join("|") : "0";
}
