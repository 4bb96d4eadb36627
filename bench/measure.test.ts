import { describe, expect, it } from "vitest";
import { formatTable, gateFailures, ratesInTurns, ratioOf, unmetTargets, type BenchResult } from "./measure.ts";

const figure = (name: string, value: number): BenchResult => ({ name, value, unit: "events/s" });

describe("the benchmark gate", () => {
  it("fails a gated ratio below half its target, naming both figures of the same run", () => {
    const r = ratioOf("ratio.embedded/jsonl-write", figure("embedded", 20_000), figure("write", 100_000), { value: 0.5, gated: true });
    expect(r.value).toBeCloseTo(0.2);
    const failures = gateFailures([r]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toContain("ratio.embedded/jsonl-write = 0.200");
    expect(failures[0]).toContain("embedded 20,000 / write 100,000");
    expect(failures[0]).toContain("gate 0.25");
  });

  it("passes a gated ratio at or above half its target, and never fails an ungated one", () => {
    const atHalf = ratioOf("a", figure("n", 25), figure("d", 100), { value: 0.5, gated: true });
    const ungated = ratioOf("b", figure("n", 1), figure("d", 100), { value: 0.5, gated: false });
    expect(gateFailures([atHalf, ungated])).toEqual([]);
  });

  it("guards a target not met yet at half its floor: a regression fails, the level reached is reported as unmet", () => {
    const guarded = (n: number) => ratioOf("ratio.replay/read-parse", figure("replay", n), figure("read", 1000), { value: 0.5, gated: true, floor: 0.08 });
    // at the level reached: no failure, but the unmet target is said
    expect(gateFailures([guarded(85)])).toEqual([]);
    expect(unmetTargets([guarded(85)])).toEqual(["ratio.replay/read-parse = 0.085 (replay 85 / read 1,000): target 0.5 not met; guarded against regression below 0.04"]);
    // below half the floor: a failure naming the floor, the gate and the target
    expect(gateFailures([guarded(30)])).toEqual(["ratio.replay/read-parse = 0.030 (replay 30 / read 1,000) regressed below half the level reached so far 0.08 (gate 0.04; target 0.5)"]);
    // once at half the target the floor no longer matters
    expect(gateFailures([guarded(300)])).toEqual([]);
    expect(unmetTargets([guarded(300)])).toEqual(["ratio.replay/read-parse = 0.300 (replay 300 / read 1,000): target 0.5 not met; the CI gate fails below 0.25"]);
    expect(unmetTargets([guarded(500)])).toEqual([]);
  });

  it("lists an ungated target that is not met as reported only, and leaves met targets out", () => {
    const frames = (v: number) => ratioOf("ratio.frames.virtual/wall", figure("virtual", v), figure("wall", 1), { value: 100, gated: false });
    expect(unmetTargets([frames(5)])).toEqual(["ratio.frames.virtual/wall = 5.000 (virtual 5.000 / wall 1.000): target 100 not met; reported, not gated"]);
    expect(unmetTargets([frames(120), figure("write", 100_000)])).toEqual([]);
  });

  it("fails a gated figure above its limit (peak memory)", () => {
    expect(gateFailures([{ name: "memory.replay.peak-rss", value: 310, unit: "MB", limit: 300, gated: true }])).toEqual([
      "memory.replay.peak-rss = 310 MB is above its limit 300 MB",
    ]);
    expect(gateFailures([{ name: "memory.run.peak-rss", value: 290, unit: "MB", limit: 300, gated: true }])).toEqual([]);
  });

  it("prints each ratio with its numerator, denominator and target", () => {
    const table = formatTable([figure("write", 100_000), ratioOf("ratio.x", figure("embedded", 60_000), figure("write", 100_000), { value: 0.5, gated: false })]);
    expect(table).toContain("100,000");
    expect(table).toMatch(/ratio\.x\s+0\.600\s+ratio\s+embedded \/ write\s+≥ 0\.5 \(not gated\)/);
  });
});

/** Burn about `ms` of CPU (a measured figure that costs what it is told). */
function burn(ms: number): number {
  const t0 = performance.now();
  let x = 0;
  while (performance.now() - t0 < ms) x++;
  return x;
}

describe("figures timed in turns", () => {
  it("times each figure once per turn, in turns, and keeps each one's best turn", async () => {
    // given two figures whose cost changes from turn to turn (a machine that slows, then speeds up)
    const calls: string[] = [];
    const costs = { a: [40, 5, 20], b: [5, 30, 10] };
    const figure = (k: "a" | "b") => () => {
      burn(costs[k][calls.filter((c) => c === k).length] as number);
      calls.push(k);
      return 1000;
    };
    // when they are timed in three turns
    const best = await ratesInTurns({ a: figure("a"), b: figure("b") }, 3);
    // then they ran a, b, a, b, a, b, and each figure is its cheapest turn's (5 ms: about 200,000 events/s)
    expect(calls).toEqual(["a", "b", "a", "b", "a", "b"]);
    expect(best.a.cpuMs).toBeLessThan(15);
    expect(best.b.cpuMs).toBeLessThan(15);
    expect(best.a.events).toBe(1000);
  });

  it("counts a figure measured before the turns as one of its turns", async () => {
    const seed = { events: 10, ms: 1, cpuMs: 1, perSecond: 10_000 };
    const best = await ratesInTurns({ slow: () => (burn(20), 10) }, 1, { slow: seed });
    expect(best.slow).toBe(seed);
  });
});
