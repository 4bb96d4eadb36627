import { describe, expect, it } from "vitest";
import { ERRNO } from "../../shared/gpu/errno.ts";
import { PAGE_SIZE, PhysicalMemory } from "../../shared/gpu/physicalMemory.ts";
import { iommuPgsize, map, unmap } from "./iommuMap.ts";
import { coalesceLeaves, leafMappings } from "./leafMappings.ts";
import { SZ_1G, SZ_2M, SZ_4K, lpaeGeometry, lvlIdx } from "./lpaeGeometry.ts";
import {
  PageTableConfigError, PageTableFreedError, createPageTable, freePageTable, iovaToPhys, mapPages, readPte, transtab, unmapPages,
} from "./pageTable.ts";
import { IOMMU_PROT, iopteToPaddr } from "./pteFormat.ts";

const { READ: R, WRITE: W, CACHE, NOEXEC } = IOMMU_PROT;
const RW = R | W;

function setup(opts: Parameters<typeof createPageTable>[1] = {}) {
  const mem = new PhysicalMemory(4 << 20);
  return { mem, pt: createPageTable(mem, opts) };
}

describe("createPageTable", () => {
  it("allocates a zeroed PGD frame and defaults to panthor's stage-1, 48-bit VA, 4K|2M", () => {
    const { mem, pt } = setup();
    expect(pt.cfg).toEqual({ fmt: "ARM_64_LPAE_S1", ias: 48, oas: 40, pgsizeBitmap: SZ_4K | SZ_2M, coherentWalk: false });
    expect(mem.usedFrames).toBe(1);
    expect(mem.read(pt.pgdPa, PAGE_SIZE)).toEqual(new Uint8Array(PAGE_SIZE));
  });

  it("PGT-M06: gives TRANSTAB as the PGD address, with READ_INNER|ADRMODE_TABLE (|SHARE_OUTER) for Mali", () => {
    const mem = new PhysicalMemory(1 << 20);
    mem.allocFrames(2);
    expect(transtab(createPageTable(mem))).toBe(0x2000n);
    expect(transtab(createPageTable(mem, { fmt: "ARM_MALI_LPAE" }))).toBe(0x3007n);
    expect(transtab(createPageTable(mem, { fmt: "ARM_MALI_LPAE", coherentWalk: true }))).toBe(0x4017n);
  });

  it("PGT-M01: refuses Mali tables with oas above 40 or ias above 48, as the kernel returns NULL", () => {
    const mem = new PhysicalMemory(1 << 20);
    expect(() => createPageTable(mem, { fmt: "ARM_MALI_LPAE", oas: 48 })).toThrow(PageTableConfigError);
    expect(() => createPageTable(mem, { fmt: "ARM_MALI_LPAE", ias: 52 })).toThrow(/ias/);
    expect(() => createPageTable(mem, { oas: 39 })).toThrow(/IPS/);
    expect(() => createPageTable(mem, { pgsizeBitmap: 0x10000 })).toThrow(/4 KiB granule/);
    expect(mem.usedFrames).toBe(0);
  });

  it("PGT-G16: restricts page sizes to the 4K family and clamps addresses to 48 bits", () => {
    const { pt } = setup({ ias: 52, oas: 52, pgsizeBitmap: SZ_4K | 0x10000 | SZ_2M });
    expect(pt.cfg).toMatchObject({ ias: 48, oas: 48, pgsizeBitmap: SZ_4K | SZ_2M });
  });
});

describe("mapPages edge cases (kernel-tests.md §2.6)", () => {
  it("PGT-E01: a zero, unsupported or multi-bit page size is -EINVAL", () => {
    const { pt } = setup();
    for (const pgsize of [0, 0x2000, SZ_1G, SZ_4K | SZ_2M]) expect(mapPages(pt, 0, 0, pgsize, 1, RW).ret).toBe(-ERRNO.EINVAL);
  });

  it("PGT-E01: an iova beyond the IAS or a paddr beyond the OAS is -ERANGE", () => {
    const { pt } = setup();
    expect(mapPages(pt, 2 ** 48, 0, SZ_4K, 1, RW).ret).toBe(-ERRNO.ERANGE);
    expect(mapPages(pt, 0, 2 ** 40, SZ_4K, 1, RW).ret).toBe(-ERRNO.ERANGE);
  });

  it("PGT-F10: a mapping with neither read nor write is -EINVAL and maps nothing", () => {
    const { pt } = setup();
    expect(mapPages(pt, 0, 0, SZ_4K, 1, NOEXEC | CACHE)).toEqual({ ret: -ERRNO.EINVAL, mapped: 0 });
    expect(leafMappings(pt)).toEqual([]);
  });

  it("rejects an iova or paddr not aligned to the page size with -EINVAL (iommu_map's check)", () => {
    const { pt } = setup();
    expect(mapPages(pt, SZ_4K, 0, SZ_2M, 1, RW).ret).toBe(-ERRNO.EINVAL);
    expect(mapPages(pt, 0, SZ_4K, SZ_2M, 1, RW).ret).toBe(-ERRNO.EINVAL);
  });

  it("PGT-E02: mapping a 4 KiB page inside an existing 2 MiB block is -EEXIST", () => {
    const { pt } = setup();
    expect(mapPages(pt, SZ_2M, 0x4000_0000, SZ_2M, 1, RW).ret).toBe(0);
    expect(mapPages(pt, SZ_2M + SZ_4K, 0x10_0000, SZ_4K, 1, RW).ret).toBe(-ERRNO.EEXIST);
  });

  it("PGT-E03: mapping a 2 MiB block over a level-3 table frees the table and installs the block", () => {
    // given a 2 MiB region populated with 4 KiB pages (one L3 table)
    const { mem, pt } = setup();
    expect(mapPages(pt, SZ_2M, 0x10_0000, SZ_4K, 8, RW)).toEqual({ ret: 0, mapped: 8 * SZ_4K });
    const framesWithL3 = mem.usedFrames;
    // when a block is mapped at the same level-2 slot
    expect(mapPages(pt, SZ_2M, 0x4000_0000, SZ_2M, 1, R)).toEqual({ ret: 0, mapped: SZ_2M });
    // then the L3 table's frame is gone and the block translates
    expect(mem.usedFrames).toBe(framesWithL3 - 1);
    expect(iovaToPhys(pt, SZ_2M + 0x1234)).toBe(0x4000_1234);
  });

  it("PGT-E04: a pgcount running past the end of a table maps only to the table end", () => {
    const { pt } = setup();
    const r = mapPages(pt, 510 * SZ_4K, 0x10_0000, SZ_4K, 5, RW);
    expect(r).toEqual({ ret: 0, mapped: 2 * SZ_4K });
    expect(iovaToPhys(pt, SZ_2M)).toBe(0);
  });

  it("returns -ENOMEM when no frame is left for an intermediate table", () => {
    const mem = new PhysicalMemory(2 * PAGE_SIZE);
    const pt = createPageTable(mem);
    expect(mapPages(pt, 0, 0, SZ_4K, 1, RW).ret).toBe(-ERRNO.ENOMEM);
  });
});

describe("unmapPages edge cases", () => {
  it("PGT-E05: returns 0 for pgcount 0, an invalid size, or an iova outside the IAS", () => {
    const { pt } = setup();
    mapPages(pt, 0, 0, SZ_4K, 1, RW);
    expect(unmapPages(pt, 0, SZ_4K, 0)).toBe(0);
    expect(unmapPages(pt, 0, 0x3000, 1)).toBe(0);
    expect(unmapPages(pt, 2 ** 48, SZ_4K, 1)).toBe(0);
    expect(iovaToPhys(pt, 0x10)).toBe(0x10);
  });

  it("PGT-E06: unmapping an unmapped iova removes nothing", () => {
    const { pt } = setup();
    expect(unmapPages(pt, 0x1000_0000, SZ_4K, 1)).toBe(0);
    mapPages(pt, 0, 0, SZ_4K, 1, RW);
    expect(unmapPages(pt, SZ_4K, SZ_4K, 1)).toBe(0);
  });

  it("PGT-E08: unmapping at a table level's block size frees the whole subtree", () => {
    const { mem, pt } = setup();
    mapPages(pt, SZ_2M, 0x10_0000, SZ_4K, 16, RW);
    const used = mem.usedFrames;
    expect(unmapPages(pt, SZ_2M, SZ_2M, 1)).toBe(SZ_2M);
    expect(mem.usedFrames).toBe(used - 1);
    expect(leafMappings(pt)).toEqual([]);
  });

  it("stops a multi-page unmap at the first hole", () => {
    const { pt } = setup();
    mapPages(pt, 0, 0x10_0000, SZ_4K, 2, RW);
    mapPages(pt, 3 * SZ_4K, 0x20_0000, SZ_4K, 1, RW);
    expect(unmapPages(pt, 0, SZ_4K, 4)).toBe(2 * SZ_4K);
    expect(iovaToPhys(pt, 3 * SZ_4K)).toBe(0x20_0000);
  });
});

describe("iovaToPhys", () => {
  it("PGT-E07: adds the offset inside a 2 MiB block", () => {
    const { pt } = setup();
    mapPages(pt, 0x4000_0000, 0x4000_0000, SZ_2M, 1, RW);
    expect(iovaToPhys(pt, 0x4001_2345)).toBe(0x4001_2345);
  });
});

describe("descriptors live in simulated memory", () => {
  it("stores a table chain from the PGD down to the level-3 page, readable as little-endian u64s", () => {
    const { mem, pt } = setup();
    const iova = 0x12_3456_7000;
    mapPages(pt, iova, 0xab_cdef_0000, SZ_4K, 1, RW | CACHE);
    const geo = lpaeGeometry("ARM_64_LPAE_S1", 48);
    let table = pt.pgdPa;
    for (let lvl = 0; lvl < 3; lvl++) {
      const pte = readPte(pt, table, lvlIdx(geo, iova, lvl));
      expect(pte & 3n).toBe(3n);
      table = iopteToPaddr(pte);
      expect(pt.tablePages.has(table)).toBe(true);
    }
    const leaf = mem.readU64(table + lvlIdx(geo, iova, 3) * 8);
    expect(leaf).toBe(0xab_cdef_0f47n);
  });

  it("frees every table page and refuses use after free", () => {
    const { mem, pt } = setup();
    map(pt, 0, 0x100_0000, 3 * SZ_2M + SZ_4K, RW);
    map(pt, 0x40_0000_0000, 0, SZ_4K, R);
    freePageTable(pt);
    expect(mem.usedFrames).toBe(0);
    expect(() => iovaToPhys(pt, 0)).toThrow(PageTableFreedError);
  });
});

describe("map and unmap over byte ranges (iommu_map / panthor_vm_map_pages split)", () => {
  it("uses 2 MiB blocks where VA and PA are 2 MiB-aligned and 4 KiB pages at the unaligned edges", () => {
    // given a 4 MiB + 8 KiB range starting 4 KiB below a 2 MiB boundary
    const { pt } = setup();
    const iova = SZ_2M - SZ_4K;
    const pa = 0x8000_0000 - SZ_4K;
    // when mapped in one call
    expect(map(pt, iova, pa, 2 * SZ_2M + 2 * SZ_4K, RW)).toBe(0);
    // then one page, two blocks, one page
    expect(leafMappings(pt).map((l) => [l.iova, l.size])).toEqual([
      [SZ_2M - SZ_4K, SZ_4K],
      [SZ_2M, SZ_2M],
      [2 * SZ_2M, SZ_2M],
      [3 * SZ_2M, SZ_4K],
    ]);
    expect(coalesceLeaves(leafMappings(pt))).toEqual([{ iova, pa, size: 2 * SZ_2M + 2 * SZ_4K, prot: RW }]);
  });

  it("uses only 4 KiB pages when VA and PA are offset differently inside 2 MiB", () => {
    const { pt } = setup();
    expect(map(pt, SZ_2M, 0x8000_0000 + SZ_4K, SZ_2M, RW)).toBe(0);
    expect(new Set(leafMappings(pt).map((l) => l.size))).toEqual(new Set([SZ_4K]));
    expect(leafMappings(pt)).toHaveLength(512);
  });

  it("splits like iommu_pgsize, stopping small pages at the next block boundary", () => {
    expect(iommuPgsize(SZ_4K | SZ_2M, SZ_2M - 2 * SZ_4K, SZ_2M - 2 * SZ_4K, 3 * SZ_2M)).toEqual({ pgsize: SZ_4K, count: 2 });
    expect(iommuPgsize(SZ_4K | SZ_2M, SZ_2M - 2 * SZ_4K, 0, 3 * SZ_2M)).toEqual({ pgsize: SZ_4K, count: 3 * 512 });
    expect(iommuPgsize(SZ_4K | SZ_2M | SZ_1G, 0, 0, SZ_1G + SZ_2M)).toEqual({ pgsize: SZ_1G, count: 1 });
  });

  it("rejects a range not aligned to 4 KiB with -EINVAL", () => {
    const { pt } = setup();
    expect(map(pt, 0x800, 0, SZ_4K, RW)).toBe(-ERRNO.EINVAL);
    expect(map(pt, 0, 0, 0x1800, RW)).toBe(-ERRNO.EINVAL);
  });

  it("unrolls what it mapped when part of the range already exists", () => {
    // given one page mapped in the middle of the target range
    const { pt } = setup();
    mapPages(pt, 4 * SZ_4K, 0x9000_0000, SZ_4K, 1, R);
    // when mapping [0, 8 pages)
    expect(map(pt, 0, 0x10_0000, 8 * SZ_4K, RW)).toBe(-ERRNO.EEXIST);
    // then only the pre-existing page remains
    expect(leafMappings(pt).map((l) => l.iova)).toEqual([4 * SZ_4K]);
  });

  it("unmaps a range made of blocks and pages, returning the bytes removed", () => {
    const { mem, pt } = setup();
    map(pt, SZ_2M - SZ_4K, 0x8000_0000 - SZ_4K, 2 * SZ_2M + 2 * SZ_4K, RW | NOEXEC);
    expect(unmap(pt, SZ_2M - SZ_4K, 2 * SZ_2M + 2 * SZ_4K)).toBe(2 * SZ_2M + 2 * SZ_4K);
    expect(leafMappings(pt)).toEqual([]);
    expect(mem.usedFrames).toBeGreaterThan(1); // empty intermediate tables stay, as in io-pgtable
  });

  it("unmaps nothing of a 2 MiB block when asked for part of it (no split on unmap)", () => {
    const { pt } = setup();
    map(pt, 0, 0, SZ_2M, RW);
    expect(unmap(pt, 0, SZ_4K)).toBe(0);
    expect(iovaToPhys(pt, 0x1000)).toBe(0x1000);
  });
});
