import { describe, expect, it } from "vitest";
import { createPrng } from "../../shared/random/prng.ts";
import { bucketLow, bucketOf, newHistogram, percentile, record, SUB_BUCKETS } from "./latencyHistogram.ts";

/** Exact nearest-rank percentile of a list. */
const exact = (vs: readonly number[], p: number): number => [...vs].sort((a, b) => a - b)[Math.max(1, Math.ceil((p / 100) * vs.length)) - 1]!;

describe("the latency histogram", () => {
  it("gives percentiles within 1/128 of the exact nearest-rank ones (seed 42)", () => {
    const rng = createPrng(42);
    const values = Array.from({ length: 5000 }, () => 1_000_000 + rng.int(0, 20_000_000));
    const h = newHistogram();
    values.forEach((v) => record(h, v));
    for (const p of [50, 90, 99]) {
      const e = exact(values, p);
      expect(Math.abs(percentile(h, p) - e) / e, `p${p}`).toBeLessThanOrEqual(1 / SUB_BUCKETS);
    }
    expect(percentile(h, 100)).toBe(Math.max(...values));
    expect(h.count).toBe(5000);
  });

  it("keeps small values exact and a bucket's low bound inside the bucket", () => {
    for (const v of [0, 1, 127, 128, 129, 255, 256, 1_000_000, 4_000_000_123]) {
      expect(bucketLow(bucketOf(v))).toBeLessThanOrEqual(v);
      expect(bucketOf(bucketLow(bucketOf(v)))).toBe(bucketOf(v));
    }
    const h = newHistogram();
    [3, 1, 2].forEach((v) => record(h, v));
    expect([percentile(h, 34), percentile(h, 50), percentile(h, 99)]).toEqual([2, 2, 3]);
  });

  it("uses memory bounded by the value range, not the number of values", () => {
    const h = newHistogram();
    for (let i = 0; i < 100_000; i++) record(h, 5_000_000 + (i % 1000) * 1000);
    expect(h.buckets.size).toBeLessThanOrEqual(SUB_BUCKETS);
    expect(percentile(newHistogram(), 50)).toBe(0);
  });
});
