/** Seqno ordering, kernel-tests.md §3.3 (FENCE-S01..S11). */
import { describe, expect, it } from "vitest";
import { FenceRegistry, signal } from "./dmaFence.ts";
import { isLater, isLaterOrSame, later } from "./seqno.ts";

function pair(a: bigint, b: bigint, seqno64 = false) {
  const reg = new FenceRegistry();
  const ctx = reg.contextAlloc(1);
  return { reg, f1: reg.create({ context: ctx, seqno: a, seqno64 }), f2: reg.create({ context: ctx, seqno: b, seqno64 }) };
}

describe("seqno ordering on one context", () => {
  it.each([
    ["FENCE-S01", 2n, 1n, false, true],
    ["FENCE-S02", 1n, 2n, false, false],
    ["FENCE-S03", 5n, 5n, false, false],
    ["FENCE-S04 wraps", 0x00000001n, 0xffffffffn, false, true],
    ["FENCE-S05", 0xffffffffn, 0x00000001n, false, false],
    ["FENCE-S06 INT_MIN apart", 0x80000000n, 0x00000000n, false, false],
    ["FENCE-S06 swapped", 0x00000000n, 0x80000000n, false, false],
    ["FENCE-S07 ignores the upper 32 bits", 0x1_00000000n, 0x0_00000001n, false, false],
    ["FENCE-S08 compares 64-bit plainly", 0x1_00000000n, 1n, true, true],
    ["FENCE-S09 does not wrap in 64-bit mode", 1n, 0xffffffffffffffffn, true, false],
  ])("%s: is_later(%s, %s) in %s-bit mode", (_name, a, b, seqno64, expected) => {
    const { f1, f2 } = pair(a, b, seqno64);
    expect(isLater(f1, f2)).toBe(expected);
  });

  it("FENCE-S03 is_later_or_same is true only for the same object", () => {
    const { f1, f2 } = pair(5n, 5n);
    expect(isLaterOrSame(f1, f2)).toBe(false);
    expect(isLaterOrSame(f1, f1)).toBe(true);
  });

  it("FENCE-S10 comparing fences of different contexts warns and answers false", () => {
    const reg = new FenceRegistry();
    const a = reg.create({ context: reg.contextAlloc(1), seqno: 9 });
    const b = reg.create({ context: reg.contextAlloc(1), seqno: 1 });
    expect(isLater(a, b)).toBe(false);
    expect(later(a, b)).toBeUndefined();
    expect(reg.warnings.map((w) => w.kind)).toEqual(["context-mismatch", "context-mismatch"]);
  });

  it("FENCE-S11 later() returns the later fence, or nothing once that fence has signalled", () => {
    const { f1, f2 } = pair(3n, 4n);
    expect(later(f1, f2)).toBe(f2);
    expect(later(f2, f1)).toBe(f2);
    signal(f2, 1);
    expect(later(f1, f2)).toBeUndefined();
  });
});
