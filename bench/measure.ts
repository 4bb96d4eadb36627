import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
/** One measured figure of a benchmark run. */
export interface BenchResult {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** For a ratio: the two figures (measured in this same run) it divides, with their values. */
  readonly ratio?: { readonly numerator: string; readonly denominator: string; readonly numeratorValue: number; readonly denominatorValue: number };
  /** Target for a ratio or figure (issue #9), where one is set: the value must reach it. */
  readonly target?: number;
  /**
   * Does falling below half the target fail the run (CI)? Targets the runtime's own machinery
   * decides are gated; one that services' costs decide is reported against its target only.
   */
  readonly gated?: boolean;
  /**
   * For a gated target not reached yet: the level reached so far (README's figures). Until the
   * target is met the gate guards that level instead — it fails below half of it (a regression) —
   * and the run reports the target as unmet rather than passing it silently.
   */
  readonly floor?: number;
  /** For a figure that must stay under its limit (memory): the limit. */
  readonly limit?: number;
  readonly note?: string;
}

/** A timed run: events processed, wall and CPU milliseconds, and the rate. */
export interface Timed {
  readonly events: number;
  /** Wall-clock ms (what B2's "× real time" is about). */
  readonly ms: number;
  /** CPU ms of this process, user + system, every thread (GC and compiler threads included). */
  readonly cpuMs: number;
  /**
   * Events per CPU second. Throughputs are per CPU second of this process because the machines
   * these run on are shared (other work steals the cores at random): CPU time is what the code
   * costs, wall time is what the neighbours left over. On an idle machine the two agree for
   * single-threaded work, except that CPU time also counts V8's helper threads — which only makes
   * allocation-heavy code look slower, never faster.
   */
  readonly perSecond: number;
}

/**
 * A full garbage collection, so that every timed figure starts from a clean heap: timed in turns, a
 * bare loop would otherwise pay for collecting what the simulation run before it left behind (the
 * bare write measured at under three quarters of its speed that way), and a ratio would flatter
 * the runtime.
 */
const collectGarbage: () => void = (() => {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
})();

const cpuMsNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Time `fn`, which returns how many events it processed; best (by CPU time) of `repeat` runs. */
export async function rate(fn: () => number | Promise<number>, repeat = 1): Promise<Timed> {
  let best: Timed = { events: 0, ms: Number.POSITIVE_INFINITY, cpuMs: Number.POSITIVE_INFINITY, perSecond: 0 };
  for (let i = 0; i < repeat; i++) {
    collectGarbage();
    const t0 = performance.now();
    const c0 = cpuMsNow();
    const events = await fn();
    const cpuMs = Math.max(cpuMsNow() - c0, 0.001);
    const ms = performance.now() - t0;
    const perSecond = events / (cpuMs / 1000);
    if (perSecond > best.perSecond) best = { events, ms, cpuMs, perSecond };
  }
  return best;
}

/**
 * Time several figures in turns — each once, then each again, `rounds` times — and keep each one's
 * best (by CPU time, as `rate`). The two sides of a ratio measured back to back can fall in
 * different spells of a shared machine (a slow minute halves one of them); taken in turns, a slow
 * spell hits every side alike, and the best of each is what the code costs. `seed` gives a figure
 * measured already (a first run that also made the inputs of the others) to count as one of its turns.
 */
export async function ratesInTurns<K extends string>(fns: Readonly<Record<K, () => number | Promise<number>>>, rounds: number, seed: Partial<Record<K, Timed>> = {}): Promise<Record<K, Timed>> {
  const best = { ...seed } as Record<K, Timed>;
  for (let i = 0; i < rounds; i++) {
    for (const key of Object.keys(fns) as K[]) {
      const t = await rate(fns[key], 1);
      const sofar = best[key] as Timed | undefined;
      if (sofar === undefined || t.perSecond > sofar.perSecond) best[key] = t;
    }
  }
  return best;
}

/** A ratio result between two named figures of the same run. */
export function ratioOf(
  name: string,
  numerator: BenchResult,
  denominator: BenchResult,
  target?: { readonly value: number; readonly gated: boolean; readonly floor?: number },
): BenchResult {
  return {
    name,
    value: numerator.value / denominator.value,
    unit: "ratio",
    ratio: { numerator: numerator.name, denominator: denominator.name, numeratorValue: numerator.value, denominatorValue: denominator.value },
    ...(target !== undefined ? { target: target.value, gated: target.gated, ...(target.floor !== undefined ? { floor: target.floor } : {}) } : {}),
  };
}

/** The two figures a ratio divides, for messages. */
const partsOf = (r: BenchResult): string => (r.ratio ? ` (${r.ratio.numerator} ${fmt(r.ratio.numeratorValue)} / ${r.ratio.denominator} ${fmt(r.ratio.denominatorValue)})` : "");

/**
 * The gate CI applies: every gated figure below half its target (or, for a target not reached yet
 * that has a `floor`, below half that floor: a regression), or above its limit, each as a message
 * naming the figure, its value and what it should be.
 */
export function gateFailures(results: readonly BenchResult[]): string[] {
  const out: string[] = [];
  for (const r of results) {
    if (r.gated !== true) continue;
    if (r.target !== undefined && r.value < r.target / 2) {
      if (r.floor === undefined) out.push(`${r.name} = ${r.value.toFixed(3)}${partsOf(r)} is below half its target ${r.target} (gate ${r.target / 2})`);
      else if (r.value < r.floor / 2) out.push(`${r.name} = ${r.value.toFixed(3)}${partsOf(r)} regressed below half the level reached so far ${r.floor} (gate ${r.floor / 2}; target ${r.target})`);
    }
    if (r.limit !== undefined && r.value > r.limit) out.push(`${r.name} = ${fmt(r.value)} ${r.unit} is above its limit ${fmt(r.limit)} ${r.unit}`);
  }
  return out;
}

/**
 * Every target not met in this run — gated or not — with what guards it: the floor a gated figure
 * below half its target must not regress under, the gate at half the target, or nothing (reported
 * only). Printed on every run, so an unmet target is never mistaken for a met one.
 */
export function unmetTargets(results: readonly BenchResult[]): string[] {
  return results
    .filter((r) => r.target !== undefined && r.value < r.target)
    .map((r) => {
      const target = r.target as number;
      const guard =
        r.gated !== true ? "reported, not gated" : r.value < target / 2 && r.floor !== undefined ? `guarded against regression below ${r.floor / 2}` : `the CI gate fails below ${target / 2}`;
      return `${r.name} = ${r.value.toFixed(3)}${partsOf(r)}: target ${target} not met; ${guard}`;
    });
}

const fmt = (v: number): string => (Math.abs(v) < 10 ? v.toFixed(3) : Math.round(v).toLocaleString("en-US"));

/** The results as an aligned text table. */
export function formatTable(results: readonly BenchResult[]): string {
  const rows = results.map((r) => [
    r.name,
    r.unit === "ratio" ? r.value.toFixed(3) : fmt(r.value),
    r.unit,
    r.ratio ? `${r.ratio.numerator} / ${r.ratio.denominator}` : (r.note ?? ""),
    r.target !== undefined ? `≥ ${r.target}${r.gated === true ? "" : " (not gated)"}` : r.limit !== undefined ? `≤ ${fmt(r.limit)}` : "",
  ]);
  const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...rows.map((row) => (row[i] as string).length), 4));
  return rows.map((row) => row.map((c, i) => (i === 1 ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join("  ").trimEnd()).join("\n");
}
