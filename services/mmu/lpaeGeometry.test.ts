import { describe, expect, it } from "vitest";
import { blockSize, entriesAt, levelForSize, lpaeGeometry, lvlIdx, lvlShift, maxEntries } from "./lpaeGeometry.ts";

describe("4 KiB LPAE geometry", () => {
  it("PGT-G01: ias 48 walks 4 levels from level 0 with a full 512-entry PGD", () => {
    const g = lpaeGeometry("ARM_64_LPAE_S1", 48);
    expect(g).toEqual({ ias: 48, startLevel: 0, pgdBits: 9 });
    expect([0, 1, 2, 3].map(lvlShift)).toEqual([39, 30, 21, 12]);
    expect([1, 2, 3].map(blockSize)).toEqual([2 ** 30, 2 ** 21, 2 ** 12]);
    expect(entriesAt(g, 0)).toBe(512);
  });

  it("PGT-G02 to G04: smaller IAS at 4 levels shrinks the PGD to 32, 8 and 2 entries", () => {
    expect(entriesAt(lpaeGeometry("ARM_64_LPAE_S1", 44), 0)).toBe(32);
    expect(entriesAt(lpaeGeometry("ARM_64_LPAE_S1", 42), 0)).toBe(8);
    expect(entriesAt(lpaeGeometry("ARM_64_LPAE_S1", 40), 0)).toBe(2);
  });

  it("PGT-G07 to G09: ias 39, 36 and 32 start at level 1 with 512, 64 and 4 PGD entries", () => {
    for (const [ias, n] of [[39, 512], [36, 64], [32, 4]] as const) {
      const g = lpaeGeometry("ARM_64_LPAE_S1", ias);
      expect(g.startLevel).toBe(1);
      expect(entriesAt(g, 1)).toBe(n);
    }
  });

  it("PGT-M02: Mali always walks 4 levels; a smaller IAS gets a single level-0 slot", () => {
    const g = lpaeGeometry("ARM_MALI_LPAE", 32);
    expect(g).toEqual({ ias: 32, startLevel: 0, pgdBits: 0 });
    expect(lvlIdx(g, 0xc000_0000, 0)).toBe(0);
    expect(lvlIdx(g, 0xc000_0000, 1)).toBe(3);
    expect(lpaeGeometry("ARM_MALI_LPAE", 40)).toEqual({ ias: 40, startLevel: 0, pgdBits: 1 });
  });

  it("PGT-G15: splits an IOVA into per-level indices beyond 32 bits", () => {
    const g = lpaeGeometry("ARM_64_LPAE_S1", 48);
    const idx = (iova: number): number[] => [0, 1, 2, 3].map((l) => lvlIdx(g, iova, l));
    expect(idx(0x4020_1000)).toEqual([0, 1, 1, 1]);
    expect(idx(0x7fff_ffff_f000)).toEqual([0xff, 0x1ff, 0x1ff, 0x1ff]);
    expect(lvlIdx(g, 0x8000_0000_0000, 0)).toBe(0x100);
  });

  it("maps page sizes to levels and caps a call at the end of its table", () => {
    expect(levelForSize(2 ** 21)).toBe(2);
    expect(levelForSize(8192)).toBeUndefined();
    expect(maxEntries(0)).toBe(512);
    expect(maxEntries(510)).toBe(2);
  });
});
