import { describe, expect, it } from "vitest";
import { PhysicalMemory } from "../../shared/gpu/physicalMemory.ts";
import { AS_COMMAND } from "../../shared/gpu/registerFields.ts";
import { map, unmap } from "./iommuMap.ts";
import { SZ_2M, SZ_4K } from "./lpaeGeometry.ts";
import { packRegionRange } from "./lockRegion.ts";
import { createPageTable, transtab, type PageTable } from "./pageTable.ts";
import { IOMMU_PROT } from "./pteFormat.ts";
import { AsTlb, translate } from "./tlb.ts";

const { READ: R, WRITE: W } = IOMMU_PROT;
const VA = 0x10_0000;
const OLD_PA = 0x4000_0000;
const NEW_PA = 0x5000_0000;

function setup(): { pt: PageTable; tlb: AsTlb } {
  const pt = createPageTable(new PhysicalMemory(1 << 20));
  map(pt, VA, OLD_PA, SZ_4K, R | W);
  return { pt, tlb: new AsTlb() };
}

/** The driver edits the mapping of VA: unmap and remap to NEW_PA, with no TLB maintenance. */
function remapWithoutFlush(pt: PageTable): void {
  expect(unmap(pt, VA, SZ_4K)).toBe(SZ_4K);
  expect(map(pt, VA, NEW_PA, SZ_4K, R | W)).toBe(0);
}

/** LOCK a region covering [start, start + size) through AS_LOCKADDR. */
function lock(tlb: AsTlb, start: number, size: number): void {
  tlb.command(AS_COMMAND.LOCK, packRegionRange(start, size)!.lockaddr);
}

describe("AS TLB", () => {
  it("caches a walked translation and serves the next access from the TLB", () => {
    const { pt, tlb } = setup();
    expect(translate(tlb, pt, VA + 0x10, "read")).toMatchObject({ ok: true, pa: OLD_PA + 0x10, tlbHit: false });
    expect(translate(tlb, pt, VA + 0x20, "write")).toMatchObject({ ok: true, pa: OLD_PA + 0x20, tlbHit: true });
    expect(tlb.stats).toEqual({ hits: 1, misses: 1, invalidated: 0 });
  });

  it("keeps translating to the stale PA when the driver changes a mapping without FLUSH_PT", () => {
    // given VA cached in the TLB
    const { pt, tlb } = setup();
    translate(tlb, pt, VA, "read");
    // when the page table now maps VA elsewhere but no AS command is sent
    remapWithoutFlush(pt);
    // then the GPU still reaches the old page
    expect(translate(tlb, pt, VA, "read")).toMatchObject({ ok: true, pa: OLD_PA, tlbHit: true });
  });

  it("translates to the new PA after LOCK, FLUSH_PT and UNLOCK over the changed range", () => {
    const { pt, tlb } = setup();
    translate(tlb, pt, VA, "read");
    lock(tlb, VA, SZ_4K);
    remapWithoutFlush(pt);
    tlb.command(AS_COMMAND.FLUSH_PT);
    tlb.command(AS_COMMAND.UNLOCK);
    expect(translate(tlb, pt, VA, "read")).toMatchObject({ ok: true, pa: NEW_PA, tlbHit: false });
  });

  it("also drops the locked region's entries on a bare UNLOCK (the newest panthor sequence)", () => {
    const { pt, tlb } = setup();
    translate(tlb, pt, VA, "read");
    lock(tlb, VA, SZ_4K);
    remapWithoutFlush(pt);
    tlb.unlock();
    expect(translate(tlb, pt, VA, "read")).toMatchObject({ pa: NEW_PA });
  });

  it("keeps stale entries outside a lock region that was too small", () => {
    // given two cached pages 64 KiB apart
    const { pt, tlb } = setup();
    map(pt, VA + 0x1_0000, OLD_PA + 0x1_0000, SZ_4K, R);
    translate(tlb, pt, VA, "read");
    translate(tlb, pt, VA + 0x1_0000, "read");
    // when only the first 32 KiB is locked and flushed, after unmapping both
    lock(tlb, VA, SZ_4K);
    unmap(pt, VA, SZ_4K);
    unmap(pt, VA + 0x1_0000, SZ_4K);
    tlb.flushPt();
    // then the first faults and the second still reads the freed page
    expect(translate(tlb, pt, VA, "read")).toMatchObject({ ok: false, kind: "translation", level: 3 });
    expect(translate(tlb, pt, VA + 0x1_0000, "read")).toMatchObject({ ok: true, pa: OLD_PA + 0x1_0000, tlbHit: true });
  });

  it("stalls accesses inside the locked region until the lock is released", () => {
    const { pt, tlb } = setup();
    lock(tlb, VA, SZ_4K);
    expect(translate(tlb, pt, VA + 8, "read")).toEqual({ ok: false, kind: "stalled", region: { start: VA, size: 0x8000 }, address: VA + 8 });
    expect(translate(tlb, pt, VA + 0x8000, "read")).toMatchObject({ ok: false, kind: "translation" });
    tlb.flushMem();
    expect(tlb.lockRegion).toBeNull();
    expect(translate(tlb, pt, VA + 8, "read")).toMatchObject({ ok: true, pa: OLD_PA + 8 });
  });

  it("drops every entry on UPDATE and records the new AS configuration", () => {
    const { pt, tlb } = setup();
    map(pt, SZ_2M, OLD_PA, SZ_2M, R);
    translate(tlb, pt, VA, "read");
    translate(tlb, pt, SZ_2M, "read");
    const config = { transtab: transtab(pt), memattr: 0x888d88n, transcfg: 6n };
    tlb.command(AS_COMMAND.UPDATE, 0n, config);
    expect(tlb.entries.size).toBe(0);
    expect(tlb.config).toEqual(config);
    expect(tlb.stats.invalidated).toBe(2);
  });

  it("checks cached permissions on a hit, reporting the leaf's level", () => {
    const { pt, tlb } = setup();
    map(pt, SZ_2M, OLD_PA, SZ_2M, R);
    expect(translate(tlb, pt, SZ_2M, "read")).toMatchObject({ ok: true, level: 2 });
    expect(translate(tlb, pt, SZ_2M + 4, "write")).toMatchObject({ ok: false, kind: "permission", level: 2, exceptionType: 0xca });
  });

  it("does not cache faults, so a mapping added later is seen without a flush", () => {
    const { pt, tlb } = setup();
    expect(translate(tlb, pt, 0x80_0000, "read").ok).toBe(false);
    map(pt, 0x80_0000, NEW_PA, SZ_4K, R);
    expect(translate(tlb, pt, 0x80_0000, "read")).toMatchObject({ ok: true, pa: NEW_PA });
  });

  it("evicts the oldest entry when a capacity is set", () => {
    const pt = createPageTable(new PhysicalMemory(1 << 20));
    map(pt, 0, OLD_PA, 4 * SZ_4K, R);
    const tlb = new AsTlb(2);
    for (let i = 0; i < 3; i++) translate(tlb, pt, i * SZ_4K, "read");
    expect([...tlb.entries.keys()]).toEqual([1, 2]);
  });

  it("rejects an unknown AS_COMMAND code", () => {
    expect(() => new AsTlb().command(9)).toThrow(/unknown AS_COMMAND 9/);
  });
});
