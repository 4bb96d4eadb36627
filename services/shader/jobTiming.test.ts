import { describe, expect, it } from "vitest";
import { coresOf, cyclesRetired, runTimeNs } from "./jobTiming.ts";

describe("shader job timing", () => {
  it("spreads cycles over the cores and the clock, rounding up to whole ns", () => {
    expect(runTimeNs(1_000_000, 0x50005, 1_000_000_000)).toBe(250_000);
    expect(runTimeNs(1_000, 0x1, 300_000_000)).toBe(3334);
    expect(() => runTimeNs(1, 0, 1e9)).toThrow(RangeError);
  });

  it("counts the cycles retired so far, never more than the job has", () => {
    expect(cyclesRetired(1_000_000, 0x3, 500_000_000, 100_000)).toBe(100_000);
    expect(cyclesRetired(10, 0x3, 500_000_000, 100_000)).toBe(10);
    expect(coresOf(0x50005)).toEqual([0, 2, 16, 18]);
  });
});
