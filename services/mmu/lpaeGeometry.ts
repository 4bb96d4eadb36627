/**
 * Geometry of an ARM LPAE page table with a 4 KiB granule: how many levels, which level the walk
 * starts at, how an IOVA splits into per-level indices. Mirrors the macros and set-up of
 * `drivers/iommu/io-pgtable-arm.c` (`ARM_LPAE_LVL_SHIFT`, `ARM_LPAE_BLOCK_SIZE`,
 * `ARM_LPAE_LVL_IDX`, `arm_lpae_alloc_pgtable`, `arm_mali_lpae_alloc_pgtable`).
 *
 * Simplified: only the 4 KiB granule (what panthor and panfrost use); the 16 KiB and 64 KiB
 * granules and stage-2 concatenated PGDs are not modelled.
 */
import type { IoPgtableFmt } from "./pteFormat.ts";

/** `ARM_LPAE_MAX_LEVELS`: levels are numbered 0..3, level 3 holds 4 KiB pages. */
export const ARM_LPAE_MAX_LEVELS = 4;
/** Granule (table and smallest page) size. */
export const ARM_LPAE_GRANULE = 4096;
/** log2 of the granule. */
export const ARM_LPAE_GRANULE_SHIFT = 12;
/** `bits_per_level` for a 4 KiB granule: 512 eight-byte descriptors per table. */
export const ARM_LPAE_BITS_PER_LEVEL = 9;
/** Descriptors per table page (`ARM_LPAE_PTES_PER_TABLE`). */
export const ARM_LPAE_PTES_PER_TABLE = 512;

/** 4 KiB: a level-3 page. */
export const SZ_4K = 0x1000;
/** 2 MiB: a level-2 block. */
export const SZ_2M = 0x20_0000;
/** 1 GiB: a level-1 block. */
export const SZ_1G = 0x4000_0000;

/** Where a table's walk starts and how wide its top-level index is. */
export interface LpaeGeometry {
  /** Input address bits (`cfg->ias`): the GPU VA size, 48 on Mali-G610. */
  readonly ias: number;
  /** `data->start_level`. */
  readonly startLevel: number;
  /** `data->pgd_bits`: index width at the start level (0 means a single entry). */
  readonly pgdBits: number;
}

/**
 * Compute the geometry as `arm_lpae_alloc_pgtable` does for a 4 KiB granule, with the Mali rule
 * of `arm_mali_lpae_alloc_pgtable`: "Mali seems to need a full 4-level table regardless of IAS",
 * so a start level above 0 is forced to 0 with `pgd_bits = 0`.
 */
export function lpaeGeometry(fmt: IoPgtableFmt, ias: number): LpaeGeometry {
  const vaBits = ias - ARM_LPAE_GRANULE_SHIFT;
  const levels = Math.ceil(vaBits / ARM_LPAE_BITS_PER_LEVEL);
  let startLevel = ARM_LPAE_MAX_LEVELS - levels;
  let pgdBits = vaBits - ARM_LPAE_BITS_PER_LEVEL * (levels - 1);
  if (fmt === "ARM_MALI_LPAE" && startLevel > 0) {
    startLevel = 0;
    pgdBits = 0;
  }
  return { ias, startLevel, pgdBits };
}

/** `ARM_LPAE_LVL_SHIFT(lvl)`: 39, 30, 21, 12 for levels 0..3. */
export function lvlShift(lvl: number): number {
  return (ARM_LPAE_MAX_LEVELS - lvl) * ARM_LPAE_BITS_PER_LEVEL + 3;
}

/** `ARM_LPAE_BLOCK_SIZE(lvl)`: bytes one descriptor covers at `lvl` (512 GiB, 1 GiB, 2 MiB, 4 KiB). */
export function blockSize(lvl: number): number {
  return 2 ** lvlShift(lvl);
}

/** The level whose block size is `size`, or undefined if no level has that size. */
export function levelForSize(size: number): number | undefined {
  for (let lvl = 0; lvl < ARM_LPAE_MAX_LEVELS; lvl++) if (blockSize(lvl) === size) return lvl;
  return undefined;
}

/**
 * `ARM_LPAE_LVL_IDX(iova, lvl)`: the descriptor index for `iova` in its level-`lvl` table; at the
 * start level the index is `pgd_bits` wide. Arithmetic, not bit operators, because IOVAs exceed
 * 32 bits.
 */
export function lvlIdx(geo: LpaeGeometry, iova: number, lvl: number): number {
  const bits = lvl === geo.startLevel ? geo.pgdBits : ARM_LPAE_BITS_PER_LEVEL;
  return Math.floor(iova / 2 ** lvlShift(lvl)) % 2 ** bits;
}

/** Number of descriptors in a table at `lvl` (the PGD may have fewer than 512). */
export function entriesAt(geo: LpaeGeometry, lvl: number): number {
  return lvl === geo.startLevel ? 2 ** geo.pgdBits : ARM_LPAE_PTES_PER_TABLE;
}

/**
 * `arm_lpae_max_entries(i)`: how many consecutive descriptors from index `i` fit in the same
 * table page, which caps one `map_pages`/`unmap_pages` call.
 */
export function maxEntries(i: number): number {
  return ARM_LPAE_PTES_PER_TABLE - (i % ARM_LPAE_PTES_PER_TABLE);
}
