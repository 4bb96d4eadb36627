import { z } from "zod";

export * from "./registerFields.ts";

/**
 * The Mali CSF register map the driver uses: byte offsets from the start of the GPU MMIO window
 * (2 MiB; RK3588 maps it at 0xfb000000). Names are `panthor_regs.h`'s (newer trees split it into
 * `panthor_gpu_regs.h`, `panthor_mmu_regs.h`, `panthor_fw_regs.h`); 64-bit registers, which the
 * kernel reads with `gpu_read64()`, appear as `_LO`/`_HI` words as Tyr's `regs.rs` spells them.
 * Bit fields and command encodings live in `registerFields.ts` and are re-exported from here.
 */
export const GPU_CONTROL = {
  GPU_ID: 0x000,
  GPU_L2_FEATURES: 0x004,
  GPU_CORE_FEATURES: 0x008,
  GPU_TILER_FEATURES: 0x00c,
  GPU_MEM_FEATURES: 0x010,
  GPU_MMU_FEATURES: 0x014,
  GPU_AS_PRESENT: 0x018,
  GPU_CSF_ID: 0x01c,
  GPU_INT_RAWSTAT: 0x020,
  GPU_INT_CLEAR: 0x024,
  GPU_INT_MASK: 0x028,
  GPU_INT_STAT: 0x02c,
  GPU_CMD: 0x030,
  GPU_STATUS: 0x034,
  GPU_FAULT_STATUS: 0x03c,
  GPU_FAULT_ADDR_LO: 0x040,
  GPU_FAULT_ADDR_HI: 0x044,
  GPU_L2_CONFIG: 0x048,
  GPU_PWR_KEY: 0x050,
  GPU_PWR_OVERRIDE0: 0x054,
  GPU_PWR_OVERRIDE1: 0x058,
  GPU_FEATURES_LO: 0x060,
  GPU_FEATURES_HI: 0x064,
  GPU_TIMESTAMP_OFFSET_LO: 0x088,
  GPU_TIMESTAMP_OFFSET_HI: 0x08c,
  GPU_CYCLE_COUNT_LO: 0x090,
  GPU_CYCLE_COUNT_HI: 0x094,
  GPU_TIMESTAMP_LO: 0x098,
  GPU_TIMESTAMP_HI: 0x09c,
  GPU_THREAD_MAX_THREADS: 0x0a0,
  GPU_THREAD_MAX_WORKGROUP_SIZE: 0x0a4,
  GPU_THREAD_MAX_BARRIER_SIZE: 0x0a8,
  GPU_THREAD_FEATURES: 0x0ac,
  GPU_TEXTURE_FEATURES_0: 0x0b0,
  GPU_TEXTURE_FEATURES_1: 0x0b4,
  GPU_TEXTURE_FEATURES_2: 0x0b8,
  GPU_TEXTURE_FEATURES_3: 0x0bc,
  GPU_SHADER_PRESENT_LO: 0x100,
  GPU_SHADER_PRESENT_HI: 0x104,
  GPU_TILER_PRESENT_LO: 0x110,
  GPU_TILER_PRESENT_HI: 0x114,
  GPU_L2_PRESENT_LO: 0x120,
  GPU_L2_PRESENT_HI: 0x124,
  SHADER_READY_LO: 0x140,
  SHADER_READY_HI: 0x144,
  TILER_READY_LO: 0x150,
  TILER_READY_HI: 0x154,
  L2_READY_LO: 0x160,
  L2_READY_HI: 0x164,
  SHADER_PWRON_LO: 0x180,
  SHADER_PWRON_HI: 0x184,
  TILER_PWRON_LO: 0x190,
  TILER_PWRON_HI: 0x194,
  L2_PWRON_LO: 0x1a0,
  L2_PWRON_HI: 0x1a4,
  SHADER_PWROFF_LO: 0x1c0,
  SHADER_PWROFF_HI: 0x1c4,
  TILER_PWROFF_LO: 0x1d0,
  TILER_PWROFF_HI: 0x1d4,
  L2_PWROFF_LO: 0x1e0,
  L2_PWROFF_HI: 0x1e4,
  SHADER_PWRTRANS_LO: 0x200,
  SHADER_PWRTRANS_HI: 0x204,
  TILER_PWRTRANS_LO: 0x210,
  TILER_PWRTRANS_HI: 0x214,
  L2_PWRTRANS_LO: 0x220,
  L2_PWRTRANS_HI: 0x224,
  SHADER_PWRACTIVE_LO: 0x240,
  SHADER_PWRACTIVE_HI: 0x244,
  TILER_PWRACTIVE_LO: 0x250,
  TILER_PWRACTIVE_HI: 0x254,
  L2_PWRACTIVE_LO: 0x260,
  L2_PWRACTIVE_HI: 0x264,
  /** REVIDR: reported to user space as `drm_panthor_gpu_info.gpu_rev`. */
  GPU_REVID: 0x280,
  GPU_ASN_HASH_0: 0x2c0,
  GPU_ASN_HASH_1: 0x2c4,
  GPU_ASN_HASH_2: 0x2c8,
  GPU_COHERENCY_FEATURES: 0x300,
  /** `GPU_COHERENCY_PROTOCOL` in older headers; panthor.md calls it COHERENCY_ENABLE. */
  GPU_COHERENCY_PROTOCOL: 0x304,
  MCU_CONTROL: 0x700,
  MCU_STATUS: 0x704,
} as const;

/** JOB_CONTROL block (0x1000): on CSF only the firmware's interrupt lines (`JOB_INT_*`). */
export const JOB_CONTROL = {
  JOB_INT_RAWSTAT: 0x1000,
  JOB_INT_CLEAR: 0x1004,
  JOB_INT_MASK: 0x1008,
  JOB_INT_STAT: 0x100c,
} as const;

/** MMU interrupt block (0x2000): bit n = page fault on AS n (panthor keeps bits [15:0]). */
export const MMU_CONTROL = {
  MMU_INT_RAWSTAT: 0x2000,
  MMU_INT_CLEAR: 0x2004,
  MMU_INT_MASK: 0x2008,
  MMU_INT_STAT: 0x200c,
} as const;

/** Start of the address-space register banks (`MMU_BASE`). */
export const MMU_BASE = 0x2400;
/** log2 of the per-AS stride: `MMU_AS(as) = MMU_BASE + (as << MMU_AS_SHIFT)`, i.e. 64 bytes. */
export const MMU_AS_SHIFT = 6;
/** Architectural maximum of AS slots (`MAX_AS_SLOTS` in panthor_mmu.c); AS_PRESENT says how many exist. */
export const MAX_AS_SLOTS = 32;

/** Offsets inside one AS bank (`AS_TRANSTAB(as)` … `AS_FAULTEXTRA(as)` minus `MMU_AS(as)`). */
export const AS_REGISTERS = {
  TRANSTAB_LO: 0x00,
  TRANSTAB_HI: 0x04,
  MEMATTR_LO: 0x08,
  MEMATTR_HI: 0x0c,
  LOCKADDR_LO: 0x10,
  LOCKADDR_HI: 0x14,
  COMMAND: 0x18,
  FAULTSTATUS: 0x1c,
  FAULTADDRESS_LO: 0x20,
  FAULTADDRESS_HI: 0x24,
  STATUS: 0x28,
  TRANSCFG_LO: 0x30,
  TRANSCFG_HI: 0x34,
  FAULTEXTRA_LO: 0x38,
  FAULTEXTRA_HI: 0x3c,
} as const;

/** The name of a register inside an AS bank, e.g. `"TRANSTAB_LO"`. */
export type AsRegisterName = keyof typeof AS_REGISTERS;

/** A register name of the GPU_CONTROL, JOB_CONTROL or MMU interrupt blocks. */
export type GlobalRegisterName = keyof typeof GPU_CONTROL | keyof typeof JOB_CONTROL | keyof typeof MMU_CONTROL;

/** Size of the GPU MMIO window (Tyr's probe expects exactly this). */
export const GPU_MMIO_SIZE = 0x200000;
/** The read-only user page: LATEST_FLUSH_ID, mapped into user space for flush elimination. */
export const CSF_GPU_LATEST_FLUSH_ID = 0x10000;
/** First doorbell page (`CSF_DOORBELL(0)`). */
export const CSF_DOORBELL_BASE = 0x80000;
/** Doorbell page stride: one 64 KiB page per doorbell so each can be mapped on its own. */
export const CSF_DOORBELL_STRIDE = 0x10000;
/** Doorbell 0 belongs to the global interface (kernel); group on CSG slot n uses doorbell n + 1. */
export const CSF_GLB_DOORBELL_ID = 0;
/** Doorbell pages that fit in the MMIO window after `CSF_DOORBELL_BASE` (24). */
export const CSF_DOORBELL_COUNT = (GPU_MMIO_SIZE - CSF_DOORBELL_BASE) / CSF_DOORBELL_STRIDE;

/** Offset of an AS bank, `MMU_AS(as)`. */
export function mmuAs(as: number): number {
  if (!Number.isInteger(as) || as < 0 || as >= MAX_AS_SLOTS) {
    throw new RangeError(`address space must be 0..${MAX_AS_SLOTS - 1}, got ${as}`);
  }
  return MMU_BASE + (as << MMU_AS_SHIFT);
}

/**
 * Offset of one AS register, as the kernel's `AS_TRANSTAB(as)`, `AS_COMMAND(as)`, … macros.
 *
 * @example asRegister(1, "COMMAND") // 0x2458
 */
export function asRegister(as: number, reg: AsRegisterName): number {
  return mmuAs(as) + AS_REGISTERS[reg];
}

/** Offset of doorbell page `i`, `CSF_DOORBELL(i)`. */
export function csfDoorbell(i: number): number {
  if (!Number.isInteger(i) || i < 0 || i >= CSF_DOORBELL_COUNT) {
    throw new RangeError(`doorbell must be 0..${CSF_DOORBELL_COUNT - 1}, got ${i}`);
  }
  return CSF_DOORBELL_BASE + i * CSF_DOORBELL_STRIDE;
}

/** The doorbell index a write to `offset` rings, or undefined when `offset` is no doorbell page start. */
export function doorbellAt(offset: number): number | undefined {
  const i = (offset - CSF_DOORBELL_BASE) / CSF_DOORBELL_STRIDE;
  return Number.isInteger(i) && i >= 0 && i < CSF_DOORBELL_COUNT ? i : undefined;
}

/** The AS slot whose bank holds `offset`, or undefined outside the AS banks. */
export function asAt(offset: number): number | undefined {
  const as = (offset - MMU_BASE) >> MMU_AS_SHIFT;
  return offset >= MMU_BASE && as < MAX_AS_SLOTS ? as : undefined;
}

const OFFSET_BY_NAME: Readonly<Record<GlobalRegisterName, number>> = { ...GPU_CONTROL, ...JOB_CONTROL, ...MMU_CONTROL };

const NAME_BY_OFFSET: ReadonlyMap<number, string> = new Map<number, string>([
  ...Object.entries(OFFSET_BY_NAME).map(([n, o]) => [o, n] as const),
  ...Array.from({ length: MAX_AS_SLOTS }, (_, as) =>
    Object.entries(AS_REGISTERS).map(([n, o]) => [mmuAs(as) + o, `AS${as}.${n}`] as const),
  ).flat(),
  [CSF_GPU_LATEST_FLUSH_ID, "CSF_GPU_LATEST_FLUSH_ID"],
  ...Array.from({ length: CSF_DOORBELL_COUNT }, (_, i) => [csfDoorbell(i), `CSF_DOORBELL(${i})`] as const),
]);

/**
 * The register's name for readable event logs; unknown offsets render as hex.
 *
 * @example registerName(0x2400 + 2 * 64 + 0x18) // "AS2.COMMAND"
 */
export function registerName(offset: number): string {
  return NAME_BY_OFFSET.get(offset) ?? `0x${offset.toString(16).padStart(5, "0")}`;
}

/** The offset of a named register (`GPU_CONTROL`/`JOB_CONTROL`/`MMU_CONTROL` names only). */
export function registerOffset(name: GlobalRegisterName): number {
  return OFFSET_BY_NAME[name];
}

/** A 32-bit register access offset: word-aligned and inside the MMIO window (event payload field). */
export const RegisterOffsetSchema = z
  .number()
  .int()
  .min(0)
  .max(GPU_MMIO_SIZE - 4)
  .refine((o) => o % 4 === 0, { message: "register offsets are 32-bit aligned" });
