import { describe, expect, it } from "vitest";
import { PAGE_SIZE, PhysicalMemory } from "../../shared/gpu/physicalMemory.ts";
import { AS_TRANSCFG, asTranscfgInaBits } from "../../shared/gpu/registerFields.ts";
import { asPageTable } from "./asPageTable.ts";
import { map } from "./iommuMap.ts";
import { createPageTable, transtab } from "./pageTable.ts";
import { IOMMU_PROT } from "./pteFormat.ts";
import { AsTlb } from "./tlb.ts";
import { physicalSpans, translateRanges } from "./translateRanges.ts";

const { READ: R, WRITE: W } = IOMMU_PROT;
const TRANSCFG = BigInt(AS_TRANSCFG.ADRMODE_AARCH64_4K | asTranscfgInaBits(55 - 48));
const BITS = { vaBits: 48, paBits: 40 };

/** The driver's table (its own view) and the MMU's view of the same bytes through TRANSTAB. */
function setup() {
  const mem = new PhysicalMemory(256 * PAGE_SIZE);
  const pt = createPageTable(mem);
  const view = asPageTable(mem, transtab(pt), TRANSCFG, BITS)!;
  return { mem, pt, view, tlb: new AsTlb() };
}

describe("translating a job's ranges", () => {
  it("splits a range where its pages are not physically contiguous and keeps ranges apart", () => {
    // given VA 0x10000..0x12000 mapped to two separate frames, and 0x20000 to a third
    const s = setup();
    map(s.pt, 0x10000, 40 * PAGE_SIZE, PAGE_SIZE, R | W);
    map(s.pt, 0x11000, 50 * PAGE_SIZE, PAGE_SIZE, R | W);
    map(s.pt, 0x20000, 41 * PAGE_SIZE, PAGE_SIZE, R);
    // when a job reads 0x10800..0x11800 and 0x20000..0x20100
    const r = translateRanges(s.tlb, s.view, [
      { va: 0x10800, size: 0x1000, access: "read" },
      { va: 0x20000, size: 0x100, access: "read" },
    ]);
    // then it gets three segments at the right offsets
    expect(r).toEqual({
      kind: "ok",
      segments: [
        { va: 0x10800, pa: 40 * PAGE_SIZE + 0x800, size: 0x800 },
        { va: 0x11000, pa: 50 * PAGE_SIZE, size: 0x800 },
        { va: 0x20000, pa: 41 * PAGE_SIZE, size: 0x100 },
      ],
    });
  });

  it("merges pages that are contiguous in PA into one segment", () => {
    const s = setup();
    map(s.pt, 0x40000, 60 * PAGE_SIZE, 3 * PAGE_SIZE, R);
    expect(translateRanges(s.tlb, s.view, [{ va: 0x40000, size: 3 * PAGE_SIZE, access: "read" }])).toEqual({
      kind: "ok",
      segments: [{ va: 0x40000, pa: 60 * PAGE_SIZE, size: 3 * PAGE_SIZE }],
    });
  });

  it("stops at the first faulting page with its VA, and at a locked page", () => {
    const s = setup();
    map(s.pt, 0x10000, 40 * PAGE_SIZE, PAGE_SIZE, R);
    const fault = translateRanges(s.tlb, s.view, [{ va: 0x10f00, size: 0x200, access: "read" }]);
    expect(fault).toMatchObject({ kind: "fault", fault: { kind: "translation", level: 3, exceptionType: 0xc3, address: 0x11000 } });
    const perm = translateRanges(s.tlb, s.view, [{ va: 0x10010, size: 4, access: "write" }]);
    expect(perm).toMatchObject({ kind: "fault", fault: { kind: "permission", exceptionType: 0xcb, accessType: 3, address: 0x10010 } });
    s.tlb.lock(0x10000n | 14n);
    expect(translateRanges(s.tlb, s.view, [{ va: 0x10000, size: 4, access: "read" }])).toMatchObject({ kind: "stalled", address: 0x10000, region: { start: 0x10000, size: 0x8000 } });
  });

  it("finds the physical pieces of an output write inside the segments", () => {
    const segments = [
      { va: 0x1000, pa: 0x9000, size: 0x1000 },
      { va: 0x2000, pa: 0x5000, size: 0x1000 },
    ];
    expect(physicalSpans(segments, 0x1ff8, 16)).toEqual([
      { pa: 0x9ff8, offset: 0, len: 8 },
      { pa: 0x5000, offset: 8, len: 8 },
    ]);
    expect(physicalSpans(segments, 0x2ff8, 16)).toBeUndefined();
  });
});
