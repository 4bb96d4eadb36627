/**
 * How the MMU reads an address space's configuration registers: AS_TRANSCFG picks the
 * translation mode and input-address size, AS_TRANSTAB points at the top-level table. The result
 * is a read-only {@link PageTable} view over system RAM that `walk()` and `translate()` use — the
 * hardware side of what panthor programs in `panthor_mmu_as_enable()`.
 *
 * Simplified: only ADRMODE_AARCH64_4K (what panthor writes, io-pgtable `ARM_64_LPAE_S1`) walks
 * tables; ADRMODE_UNMAPPED (what `panthor_mmu_as_disable()` writes) and the modes tyrsim does
 * not model (IDENTITY, AARCH64_64K, the legacy TRANSTAB ADRMODE_TABLE) leave the AS without
 * translation, so every access faults. PTW memory attributes and shareability, SL_CONCAT and the
 * TRANSCFG_HI knobs are ignored; AS_MEMATTR is kept but not interpreted (no caches).
 */
import { AS_TRANSCFG } from "../../shared/gpu/registerFields.ts";
import type { PhysicalMemory } from "../../shared/gpu/physicalMemory.ts";
import { SZ_1G, SZ_2M, SZ_4K, lpaeGeometry } from "./lpaeGeometry.ts";
import type { PageTable } from "./pageTable.ts";
import { ARM_LPAE_PTE_ADDR_MASK } from "./pteFormat.ts";

/** What AS_TRANSCFG's ADRMODE field asks of the MMU. */
export type AsTranslationMode = "unmapped" | "aarch64-4k" | "unsupported";

/** ADRMODE [3:0] of AS_TRANSCFG, as the MMU decodes it. */
export function asTranslationMode(transcfg: bigint): AsTranslationMode {
  const mode = Number(transcfg & BigInt(AS_TRANSCFG.ADRMODE_MASK));
  if (mode === AS_TRANSCFG.ADRMODE_AARCH64_4K) return "aarch64-4k";
  if (mode === AS_TRANSCFG.ADRMODE_UNMAPPED || mode === 0) return "unmapped";
  return "unsupported";
}

/** Input-address bits the AS translates: 55 − INA_BITS (panthor writes `55 - va_bits`); `defaultBits` when the field is 0. */
export function asInputBits(transcfg: bigint, defaultBits: number): number {
  const ina = Number((transcfg >> 6n) & 0x1fn);
  return ina === 0 ? defaultBits : Math.min(55 - ina, 48);
}

/** VA and PA sizes of the GPU (GPU_MMU_FEATURES). */
export interface MmuAddressBits {
  readonly vaBits: number;
  readonly paBits: number;
}

/**
 * The page table an AS walks for AS_TRANSTAB/AS_TRANSCFG, or undefined when the AS does not
 * translate (see the module comment). The PGD is TRANSTAB[47:12]; the view holds no
 * bookkeeping of table pages (the walk does not need it) and must never be passed to the
 * driver-side map/unmap functions.
 */
export function asPageTable(mem: PhysicalMemory, transtab: bigint, transcfg: bigint, bits: MmuAddressBits): PageTable | undefined {
  if (asTranslationMode(transcfg) !== "aarch64-4k") return undefined;
  const ias = asInputBits(transcfg, bits.vaBits);
  const pgdPa = Number(transtab & ARM_LPAE_PTE_ADDR_MASK);
  return {
    mem,
    cfg: { fmt: "ARM_64_LPAE_S1", ias, oas: Math.min(bits.paBits, 48), pgsizeBitmap: SZ_4K | SZ_2M | SZ_1G, coherentWalk: false },
    geo: lpaeGeometry("ARM_64_LPAE_S1", ias),
    pgdPa,
    tablePages: new Set([pgdPa]),
    freed: false,
  };
}
