/**
 * Every leaf of a page table, read from simulated memory in IOVA order, so the page tables can be
 * checked against the driver's view (drm_gpuvm VMAs) — a debugfs-style dump, like the per-entry
 * visit of `__arm_lpae_iopte_walk()` over the whole range.
 */
import { blockSize, entriesAt, lvlShift } from "./lpaeGeometry.ts";
import { decodePte, iopteLeaf, iopteTable, iopteToPaddr } from "./pteFormat.ts";
import { readPte, type PageTable } from "./pageTable.ts";

/** One leaf descriptor: a page or block mapping. */
export interface LeafMapping {
  readonly iova: number;
  readonly pa: number;
  readonly size: number;
  readonly level: number;
  /** IOMMU_PROT flags recovered from the descriptor (see `decodePte`). */
  readonly prot: number;
  readonly pte: bigint;
}

/** All leaves of `pt`, ascending by IOVA. Non-zero descriptors that are neither leaf nor table are skipped. */
export function leafMappings(pt: PageTable): LeafMapping[] {
  const out: LeafMapping[] = [];
  const visit = (lvl: number, tablePa: number, base: number): void => {
    for (let i = 0; i < entriesAt(pt.geo, lvl); i++) {
      const pte = readPte(pt, tablePa, i);
      if (pte === 0n) continue;
      const iova = base + i * 2 ** lvlShift(lvl);
      if (iopteLeaf(pte, lvl, pt.cfg.fmt)) {
        const prot = decodePte(pt.cfg.fmt, pte, lvl).prot;
        out.push({ iova, pa: iopteToPaddr(pte), size: blockSize(lvl), level: lvl, prot, pte });
      } else if (iopteTable(pte, lvl)) {
        visit(lvl + 1, iopteToPaddr(pte), iova);
      }
    }
  };
  visit(pt.geo.startLevel, pt.pgdPa, 0);
  return out;
}

/** A run of leaves contiguous in both IOVA and PA with equal `prot`. */
export interface MappedRange {
  readonly iova: number;
  readonly pa: number;
  readonly size: number;
  readonly prot: number;
}

/**
 * Merge adjacent leaves into ranges (VA and PA contiguous, same prot), which is the shape to
 * compare with GPUVM mappings whatever page sizes the split chose.
 */
export function coalesceLeaves(leaves: readonly LeafMapping[]): MappedRange[] {
  const out: MappedRange[] = [];
  for (const l of leaves) {
    const last = out[out.length - 1];
    if (last && last.iova + last.size === l.iova && last.pa + last.size === l.pa && last.prot === l.prot) {
      out[out.length - 1] = { ...last, size: last.size + l.size };
    } else {
      out.push({ iova: l.iova, pa: l.pa, size: l.size, prot: l.prot });
    }
  }
  return out;
}
