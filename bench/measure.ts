/** One measured figure of a benchmark run. */
export interface BenchResult {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** For a ratio: the two figures (measured in this same run) it divides. */
  readonly ratio?: { readonly numerator: string; readonly denominator: string };
  /** Target for a ratio, where one is set (see README's performance section). */
  readonly target?: number;
  readonly note?: string;
}

/** Wall-clock timing of `fn`, which returns how many events it processed; best of `repeat` runs. */
export async function rate(fn: () => number | Promise<number>, repeat = 1): Promise<{ events: number; ms: number; perSecond: number }> {
  let best = { events: 0, ms: Number.POSITIVE_INFINITY, perSecond: 0 };
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    const events = await fn();
    const ms = performance.now() - t0;
    const perSecond = events / (ms / 1000);
    if (perSecond > best.perSecond) best = { events, ms, perSecond };
  }
  return best;
}

/** A ratio result between two named figures of the same run. */
export function ratioOf(name: string, numerator: BenchResult, denominator: BenchResult, target?: number): BenchResult {
  return {
    name,
    value: numerator.value / denominator.value,
    unit: "ratio",
    ratio: { numerator: numerator.name, denominator: denominator.name },
    ...(target !== undefined ? { target } : {}),
  };
}

/** The results as an aligned text table. */
export function formatTable(results: readonly BenchResult[]): string {
  const rows = results.map((r) => [
    r.name,
    r.unit === "ratio" ? r.value.toFixed(3) : Math.round(r.value).toLocaleString("en-US"),
    r.unit,
    r.ratio ? `${r.ratio.numerator} / ${r.ratio.denominator}` : "",
    r.target !== undefined ? `≥ ${r.target}` : "",
  ]);
  const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...rows.map((row) => (row[i] as string).length), 4));
  return rows.map((row) => row.map((c, i) => (i === 1 ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join("  ")).join("\n");
}
