/**
 * A latency histogram in constant memory, for percentiles over logs of any length: values are
 * counted in log-linear buckets (HdrHistogram's idea) — each power of two split into
 * {@link SUB_BUCKETS} equal parts — so a percentile is within 1/{@link SUB_BUCKETS} (< 0.8 %) of the
 * exact one, whatever the number of values. At most 54 × 128 buckets exist for values below 2^53.
 */

/** Sub-buckets per power of two (relative resolution 1/128). */
export const SUB_BUCKETS = 128;

/** A histogram of non-negative integers (ns). */
export interface LatencyHistogram {
  readonly buckets: Map<number, number>;
  count: number;
  min: number;
  max: number;
  sum: number;
}

/** An empty histogram. */
export const newHistogram = (): LatencyHistogram => ({ buckets: new Map(), count: 0, min: Number.POSITIVE_INFINITY, max: 0, sum: 0 });

/** The bucket of `v`: values below SUB_BUCKETS have their own bucket; above, 128 per power of two. */
export function bucketOf(v: number): number {
  if (v < SUB_BUCKETS) return Math.max(0, Math.floor(v));
  const e = Math.floor(Math.log2(v));
  const sub = Math.min(SUB_BUCKETS - 1, Math.floor((v / 2 ** e - 1) * SUB_BUCKETS));
  return (e - 6) * SUB_BUCKETS + sub;
}

/** The smallest value of bucket `b` (inverse of {@link bucketOf}). */
export function bucketLow(b: number): number {
  if (b < SUB_BUCKETS) return b;
  const e = Math.floor(b / SUB_BUCKETS) + 6;
  return Math.ceil(2 ** e * (1 + (b % SUB_BUCKETS) / SUB_BUCKETS));
}

/** Count one value. */
export function record(h: LatencyHistogram, v: number): void {
  const b = bucketOf(v);
  h.buckets.set(b, (h.buckets.get(b) ?? 0) + 1);
  h.count++;
  h.sum += v;
  if (v < h.min) h.min = v;
  if (v > h.max) h.max = v;
}

/**
 * The nearest-rank `p`-th percentile (0 < p ≤ 100): the lowest value of the bucket holding the
 * value of rank ⌈p/100 × count⌉, clamped to [min, max] (so p100 is the exact maximum). 0 when empty.
 */
export function percentile(h: LatencyHistogram, p: number): number {
  if (h.count === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * h.count));
  if (rank >= h.count) return h.max;
  let seen = 0;
  for (const b of [...h.buckets.keys()].sort((x, y) => x - y)) {
    seen += h.buckets.get(b)!;
    if (seen >= rank) return Math.min(h.max, Math.max(h.min, bucketLow(b)));
  }
  return h.max;
}
