import { describe, expect, it } from "vitest";
import { decodeLockaddr, inLockRegion, packRegionRange } from "./lockRegion.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

describe("AS_LOCKADDR encoding (pack_region_range / lock_region)", () => {
  it("rounds a single 4 KiB page up to the 32 KiB minimum, width 14", () => {
    expect(packRegionRange(0x1000, 0x1000)).toEqual({ lockaddr: 14n, region: { start: 0, size: 32 * KiB } });
  });

  it("keeps bit 14 of the start in the register at the minimum size, as the kernel masks only below region_width", () => {
    // given a page at 0x4000 (bit 14 set): region_width 14, start &= GENMASK(63, 14)
    const r = packRegionRange(0x4000, 0x1000)!;
    expect(r.lockaddr).toBe(0x4000n | 14n);
    // then the hardware still locks the 32 KiB-aligned region [0, 32 KiB)
    expect(r.region).toEqual({ start: 0, size: 32 * KiB });
  });

  it("encodes an aligned 2 MiB range as base | 20", () => {
    expect(packRegionRange(0x4020_0000, 2 * MiB)).toEqual({ lockaddr: 0x4020_0000n | 20n, region: { start: 0x4020_0000, size: 2 * MiB } });
  });

  it("grows to the naturally aligned block covering a range that straddles a boundary", () => {
    // [1 MiB − 4 KiB, 1 MiB + 4 KiB) crosses bit 20, so the smallest block is 2 MiB at 0
    expect(packRegionRange(MiB - 4 * KiB, 8 * KiB)).toEqual({ lockaddr: 20n, region: { start: 0, size: 2 * MiB } });
  });

  it("covers ranges above 4 GiB with 64-bit arithmetic", () => {
    const r = packRegionRange(0x7f_ffff_0000, 0x2_0000)!;
    expect(r.region.start).toBeLessThanOrEqual(0x7f_ffff_0000);
    expect(r.region.start + r.region.size).toBeGreaterThanOrEqual(0x80_0001_0000);
    expect(r.lockaddr & 0x3fn).toBe(39n); // the 1 TiB block at 0 (bit 39 changes)
  });

  it("always returns a power-of-two region, at least 32 KiB, covering the request", () => {
    for (const [start, size] of [[0, 1], [0x12_3000, 0x5000], [0x3fff_f000, 0x2000], [0x1_0000_0000, 0x4000_0000], [0, 2 ** 48]] as const) {
      const { region } = packRegionRange(start, size)!;
      expect(Number.isInteger(Math.log2(region.size))).toBe(true);
      expect(region.size).toBeGreaterThanOrEqual(32 * KiB);
      expect(region.start % region.size).toBe(0);
      expect(region.start).toBeLessThanOrEqual(start);
      expect(region.start + region.size).toBeGreaterThanOrEqual(start + size);
    }
  });

  it("sends nothing for an empty range, as the kernel WARNs and returns 0", () => {
    expect(packRegionRange(0x1000, 0)).toBeUndefined();
  });

  it("decodes a register value the way the MMU applies it", () => {
    expect(decodeLockaddr(0x4000_0000n | 29n)).toEqual({ start: 0x4000_0000, size: 1024 * MiB });
    expect(decodeLockaddr(3n)).toEqual({ start: 0, size: 32 * KiB }); // below the minimum width
    expect(inLockRegion({ start: 0x8000, size: 0x8000 }, 0xffff)).toBe(true);
    expect(inLockRegion({ start: 0x8000, size: 0x8000 }, 0x10000)).toBe(false);
  });
});
