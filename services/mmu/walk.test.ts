import { describe, expect, it } from "vitest";
import { EXCEPTION, exceptionName } from "../../shared/gpu/exceptions.ts";
import { PhysicalMemory } from "../../shared/gpu/physicalMemory.ts";
import { AS_FAULT_ACCESS } from "../../shared/gpu/registerFields.ts";
import { map } from "./iommuMap.ts";
import { SZ_1G, SZ_2M, SZ_4K, lpaeGeometry, lvlIdx } from "./lpaeGeometry.ts";
import { createPageTable, iovaToPhys, mapPages, readPte, type PageTable } from "./pageTable.ts";
import { ARM_LPAE_PTE_AF, IOMMU_PROT, iopteToPaddr, type IoPgtableFmt } from "./pteFormat.ts";
import { walk } from "./walk.ts";

const { READ: R, WRITE: W, NOEXEC } = IOMMU_PROT;

function setup(fmt: IoPgtableFmt = "ARM_64_LPAE_S1"): { mem: PhysicalMemory; pt: PageTable } {
  const mem = new PhysicalMemory(1 << 20);
  return { mem, pt: createPageTable(mem, { fmt, pgsizeBitmap: SZ_4K | SZ_2M | SZ_1G }) };
}

/** Physical address of the level-`lvl` descriptor for `iova` (following tables from the PGD). */
function ptePa(pt: PageTable, iova: number, lvl: number): number {
  const geo = lpaeGeometry(pt.cfg.fmt, pt.cfg.ias);
  let table = pt.pgdPa;
  for (let l = 0; l < lvl; l++) table = iopteToPaddr(readPte(pt, table, lvlIdx(geo, iova, l)));
  return table + lvlIdx(geo, iova, lvl) * 8;
}

describe("GPU MMU page-table walk", () => {
  it("translates a 4 KiB page at level 3 and agrees with iova_to_phys", () => {
    const { pt } = setup();
    mapPages(pt, 0x7f_0000_3000, 0x5_6789_a000, SZ_4K, 1, R | W);
    expect(walk(pt, 0x7f_0000_3abc, "write")).toMatchObject({ ok: true, pa: 0x5_6789_aabc, level: 3, leafSize: SZ_4K });
    expect(iovaToPhys(pt, 0x7f_0000_3abc)).toBe(0x5_6789_aabc);
  });

  it("translates inside a 2 MiB block at level 2 and a 1 GiB block at level 1", () => {
    const { pt } = setup();
    map(pt, SZ_2M, 0x4000_0000, SZ_2M, R);
    map(pt, 4 * SZ_1G, 0, SZ_1G, R);
    expect(walk(pt, SZ_2M + 0x12345, "read")).toMatchObject({ ok: true, pa: 0x4001_2345, level: 2 });
    expect(walk(pt, 4 * SZ_1G + 0x3456_789a, "read")).toMatchObject({ ok: true, pa: 0x3456_789a, level: 1 });
  });

  it("faults TRANSLATION_FAULT_<level> at the level of the first invalid descriptor", () => {
    // given a 4 KiB page at 0 (tables at L0..L3 for the first 2 MiB)
    const { pt } = setup();
    mapPages(pt, 0, 0, SZ_4K, 1, R | W);
    // then each miss reports the level of the first invalid descriptor
    const cases: [number, number][] = [
      [2 ** 47, 0], // other L0 slot
      [SZ_1G, 1], // other L1 slot
      [SZ_2M, 2], // other L2 slot
      [SZ_4K, 3], // other L3 slot
    ];
    for (const [iova, level] of cases) {
      expect(walk(pt, iova, "read")).toEqual({
        ok: false, kind: "translation", level, exceptionType: 0xc0 + level, accessType: AS_FAULT_ACCESS.READ, address: iova,
      });
    }
    expect(exceptionName(0xc3)).toBe("TRANSLATION_FAULT_3");
  });

  it("faults PERM_FAULT_3 on a write to a read-only page and PERM_FAULT_2 on a read-only block", () => {
    const { pt } = setup();
    mapPages(pt, 0, 0, SZ_4K, 1, R);
    mapPages(pt, SZ_2M, 0, SZ_2M, 1, R);
    expect(walk(pt, 0x10, "read").ok).toBe(true);
    expect(walk(pt, 0x10, "write")).toMatchObject({ ok: false, kind: "permission", level: 3, exceptionType: EXCEPTION.PERM_FAULT_3, accessType: AS_FAULT_ACCESS.WRITE });
    expect(walk(pt, SZ_2M + 8, "atomic")).toMatchObject({ kind: "permission", level: 2, exceptionType: 0xca, accessType: AS_FAULT_ACCESS.ATOMIC });
  });

  it("faults a permission fault on instruction fetch from a no-exec mapping", () => {
    const { pt } = setup();
    mapPages(pt, 0, 0, SZ_4K, 1, R | NOEXEC);
    mapPages(pt, SZ_4K, 0, SZ_4K, 1, R);
    expect(walk(pt, 0, "execute")).toMatchObject({ kind: "permission", exceptionType: 0xcb, accessType: AS_FAULT_ACCESS.EX });
    expect(walk(pt, SZ_4K, "execute").ok).toBe(true);
  });

  it("lets a stage-1 write-only mapping be read, but faults a read of a Mali write-only mapping", () => {
    const s1 = setup("ARM_64_LPAE_S1").pt;
    const mali = setup("ARM_MALI_LPAE").pt;
    for (const pt of [s1, mali]) mapPages(pt, 0, 0, SZ_4K, 1, W);
    expect(walk(s1, 0, "read").ok).toBe(true);
    expect(walk(mali, 0, "read")).toMatchObject({ kind: "permission", level: 3, exceptionType: 0xcb });
    expect(walk(mali, 0, "write").ok).toBe(true);
  });

  it("faults ACCESS_FLAG_3 when a stage-1 page has AF cleared behind io-pgtable's back", () => {
    const { mem, pt } = setup();
    mapPages(pt, 0, 0x20_0000, SZ_4K, 1, R | W);
    const pa = ptePa(pt, 0, 3);
    mem.writeU64(pa, mem.readU64(pa) & ~ARM_LPAE_PTE_AF);
    expect(walk(pt, 0, "read")).toMatchObject({ kind: "access", level: 3, exceptionType: EXCEPTION.ACCESS_FLAG_3 });
  });

  it("faults a translation fault on a descriptor type the level does not allow", () => {
    // given a stage-1 level-3 descriptor rewritten with the block type (01)
    const { mem, pt } = setup();
    mapPages(pt, 0, 0x20_0000, SZ_4K, 1, R | W);
    const pa = ptePa(pt, 0, 3);
    mem.writeU64(pa, (mem.readU64(pa) & ~3n) | 1n);
    expect(walk(pt, 0, "read")).toMatchObject({ kind: "translation", level: 3, exceptionType: 0xc3 });
    // and a level-0 block, which the 4 KiB granule does not have
    mem.writeU64(pt.pgdPa, 0x401n);
    expect(walk(pt, 0, "read")).toMatchObject({ kind: "translation", level: 0, exceptionType: 0xc0 });
  });

  it("reports ADDR_SIZE_FAULT_IN for a VA beyond the 48-bit input range", () => {
    const { pt } = setup();
    expect(walk(pt, 2 ** 48, "read")).toMatchObject({ kind: "addressSize", exceptionType: EXCEPTION.ADDR_SIZE_FAULT_IN });
  });

  it("reports GPU_BUS_FAULT when a table descriptor points outside RAM", () => {
    const { mem, pt } = setup();
    mem.writeU64(pt.pgdPa, 0x10_0000_0003n); // L0[0] → table at 64 GiB
    expect(walk(pt, 0, "read")).toMatchObject({ kind: "bus", level: 1, exceptionType: EXCEPTION.GPU_BUS_FAULT });
  });

  it("walks a Mali 4-level table with a single level-0 slot for a 32-bit IAS", () => {
    const mem = new PhysicalMemory(1 << 20);
    const pt = createPageTable(mem, { fmt: "ARM_MALI_LPAE", ias: 32, oas: 32 });
    mapPages(pt, 0xffff_f000, 0x1000, SZ_4K, 1, R);
    expect(walk(pt, 0xffff_f008, "read")).toMatchObject({ ok: true, pa: 0x1008, level: 3 });
  });
});
