/**
 * The io-pgtable selftest (`arm_lpae_run_tests`, kernel-tests.md §2.4 PGT-01..07) ported to the
 * simulated page tables, plus the historical partial-unmap steps of §2.5 checked against the
 * current behaviour (PGT-H03). The kernel runs stage-1 and stage-2 over 4K/16K/64K granules;
 * tyrsim models the 4 KiB granule only, so the matrix here is the 4K set {4K, 2M, 1G} over every
 * (ias, oas) pair of the kernel's list, in stage-1 and — instead of stage-2 — the Mali format
 * (whose oas is limited to 40). The 16K/64K sets and the 64K instance of PGT-07 are not modelled.
 */
import { describe, expect, it } from "vitest";
import { ERRNO } from "../../shared/gpu/errno.ts";
import { PhysicalMemory } from "../../shared/gpu/physicalMemory.ts";
import { SZ_1G, SZ_2M, SZ_4K } from "./lpaeGeometry.ts";
import { leafMappings } from "./leafMappings.ts";
import { createPageTable, freePageTable, iovaToPhys, mapPages, unmapPages, type PageTable } from "./pageTable.ts";
import { IOMMU_PROT, type IoPgtableFmt } from "./pteFormat.ts";

const { READ: R, WRITE: W, CACHE, NOEXEC } = IOMMU_PROT;
const SIZES = [SZ_4K, SZ_2M, SZ_1G];
const ADDR_BITS = [32, 36, 40, 42, 44, 48];

const configs: { fmt: IoPgtableFmt; ias: number; oas: number }[] = [];
for (const fmt of ["ARM_64_LPAE_S1", "ARM_MALI_LPAE"] as const) {
  for (const ias of ADDR_BITS) {
    for (const oas of ADDR_BITS) if (ias <= oas && (fmt !== "ARM_MALI_LPAE" || oas <= 40)) configs.push({ fmt, ias, oas });
  }
}

function newTable(fmt: IoPgtableFmt, ias: number, oas: number): { mem: PhysicalMemory; pt: PageTable } {
  const mem = new PhysicalMemory(1 << 20);
  return { mem, pt: createPageTable(mem, { fmt, ias, oas, pgsizeBitmap: SZ_4K | SZ_2M | SZ_1G }) };
}

/** PGT-02: distinct mappings of each page size at iova_j = j GiB, identity-mapped. */
function mapEachSize(pt: PageTable): number[] {
  return SIZES.map((s, j) => mapPages(pt, j * SZ_1G, j * SZ_1G, s, 1, R | W | NOEXEC | CACHE).ret);
}

/** PGT-04 + PGT-05 for one size: full unmap, then remap write-only. */
function unmapAndRemap(pt: PageTable, j: number): { unmapped: number; physAfterUnmap: number; remap: number } {
  const [s, iova] = [SIZES[j]!, j * SZ_1G];
  const unmapped = unmapPages(pt, iova, s, 1);
  const physAfterUnmap = iovaToPhys(pt, iova + 42);
  return { unmapped, physAfterUnmap, remap: mapPages(pt, iova, iova, s, 1, W).ret };
}

describe.each(configs)("io-pgtable selftest on $fmt with ias $ias and oas $oas", ({ fmt, ias, oas }) => {
  it("PGT-01: an empty table translates nothing", () => {
    const { pt } = newTable(fmt, ias, oas);
    expect([42, SZ_1G + 42, 2 * SZ_1G + 42].map((a) => iovaToPhys(pt, a))).toEqual([0, 0, 0]);
  });

  it("PGT-02: one mapping of each page size succeeds", () => {
    const { pt } = newTable(fmt, ias, oas);
    expect(mapEachSize(pt)).toEqual([0, 0, 0]);
    expect(leafMappings(pt).map((l) => [l.iova, l.size])).toEqual(SIZES.map((s, j) => [j * SZ_1G, s]));
  });

  it("PGT-03: an overlapping map fails with -EEXIST and the original translation survives", () => {
    const { pt } = newTable(fmt, ias, oas);
    mapEachSize(pt);
    SIZES.forEach((s, j) => {
      const iova = j * SZ_1G;
      expect(mapPages(pt, iova, iova + s, s, 1, R | NOEXEC)).toEqual({ ret: -ERRNO.EEXIST, mapped: 0 });
      expect(iovaToPhys(pt, iova + 42)).toBe(iova + 42);
    });
  });

  it("PGT-04 and PGT-05: each mapping unmaps in full, then remaps write-only", () => {
    const { pt } = newTable(fmt, ias, oas);
    mapEachSize(pt);
    SIZES.forEach((s, j) => {
      expect(unmapAndRemap(pt, j)).toEqual({ unmapped: s, physAfterUnmap: 0, remap: 0 });
      expect(iovaToPhys(pt, j * SZ_1G + 42)).toBe(j * SZ_1G + 42);
    });
  });

  it("PGT-06: the last largest page of the IAS maps and unmaps in full", () => {
    const { mem, pt } = newTable(fmt, ias, oas);
    mapEachSize(pt);
    SIZES.forEach((_, j) => unmapAndRemap(pt, j));
    const iova = 2 ** ias - SZ_1G;
    expect(mapPages(pt, iova, iova, SZ_1G, 1, R | W | NOEXEC | CACHE)).toEqual({ ret: 0, mapped: SZ_1G });
    expect(iovaToPhys(pt, iova + 42)).toBe(iova + 42);
    expect(unmapPages(pt, iova, SZ_1G, 1)).toBe(SZ_1G);
    // and free_io_pgtable_ops() returns every table page
    freePageTable(pt);
    expect(mem.usedFrames).toBe(0);
  });
});

describe("io-pgtable selftest, concrete 4K instance (PGT-07)", () => {
  it("places 4K, 2M and 1G leaves at 0, 1 GiB and 2 GiB and the top 1 GiB at 0xFFFFC0000000, for ias = oas = 48", () => {
    const { pt } = newTable("ARM_64_LPAE_S1", 48, 48);
    expect(mapEachSize(pt)).toEqual([0, 0, 0]);
    expect(mapPages(pt, 0xffff_c000_0000, 0xffff_c000_0000, SZ_1G, 1, R | W).ret).toBe(0);
    expect(leafMappings(pt).map((l) => [l.iova, l.level])).toEqual([
      [0x0, 3],
      [0x4000_0000, 2],
      [0x8000_0000, 1],
      [0xffff_c000_0000, 1],
    ]);
  });
});

describe("historical partial-unmap steps (PGT-H01..H03) under the current kernel", () => {
  function withBlockAt1G(): PageTable {
    const { pt } = newTable("ARM_64_LPAE_S1", 48, 48);
    mapEachSize(pt);
    SIZES.forEach((_, j) => unmapAndRemap(pt, j));
    return pt;
  }

  it("PGT-H01/H03: unmapping one 4 KiB page inside the 2 MiB block at 1 GiB returns 0 and leaves the block whole", () => {
    const pt = withBlockAt1G();
    expect(unmapPages(pt, SZ_1G + SZ_4K, SZ_4K, 1)).toBe(0);
    expect(iovaToPhys(pt, SZ_1G + SZ_4K + 42)).toBe(SZ_1G + SZ_4K + 42);
    expect(leafMappings(pt).find((l) => l.iova === SZ_1G)).toMatchObject({ size: SZ_2M, level: 2 });
  });

  it("PGT-H02: remapping the 'hole' fails with -EEXIST because no hole was made", () => {
    const pt = withBlockAt1G();
    unmapPages(pt, SZ_1G + SZ_4K, SZ_4K, 1);
    expect(mapPages(pt, SZ_1G + SZ_4K, SZ_4K, SZ_4K, 1, R).ret).toBe(-ERRNO.EEXIST);
    expect(iovaToPhys(pt, SZ_1G + SZ_4K + 42)).not.toBe(SZ_4K + 42);
  });
});
