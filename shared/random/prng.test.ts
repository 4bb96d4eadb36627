import { describe, expect, it } from "vitest";
import { createPrng, type Prng } from "./prng.ts";

const draws = (rng: Prng, count: number): number[] => Array.from({ length: count }, () => rng.nextU32());

/** Pearson's chi-square statistic of observed bucket counts against a uniform expectation. */
function chiSquare(counts: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
}

/**
 * Bound for 15 degrees of freedom: the 0.999999 quantile is about 49, so a sound generator fails
 * this far less than once in a million seeds; a broken one (stuck bits, a short cycle) blows past it.
 */
const CHI_SQUARE_BOUND_15_DF = 60;

describe("createPrng", () => {
  it("gives the same sequence for the same seed", () => {
    expect(draws(createPrng(42), 1000)).toEqual(draws(createPrng(42), 1000));
  });

  it("gives a different sequence for each of 100 neighbouring seeds", () => {
    const prefixes = new Set<string>();
    for (let seed = 0; seed < 100; seed++) prefixes.add(draws(createPrng(seed), 4).join(","));
    expect(prefixes.size).toBe(100);
  });

  it("folds seeds to 32 bits: 2^32 + 5 behaves as 5, and -1 as 0xffffffff", () => {
    expect(draws(createPrng(2 ** 32 + 5), 10)).toEqual(draws(createPrng(5), 10));
    expect(draws(createPrng(-1), 10)).toEqual(draws(createPrng(0xffffffff), 10));
  });

  it("produces unsigned 32-bit integers", () => {
    const bad = draws(createPrng(9), 10_000).filter((x) => !Number.isInteger(x) || x < 0 || x >= 2 ** 32);
    expect(bad).toEqual([]);
  });

  it("does not repeat a value in a short run (no tiny cycle, no stuck state)", () => {
    const seen = new Set(draws(createPrng(0), 10_000));
    // 10k draws from 2^32 values: a collision is possible but very rare; allow a couple
    expect(seen.size).toBeGreaterThan(9_995);
  });

  it("draws floats in [0, 1)", () => {
    const rng = createPrng(3);
    const xs = Array.from({ length: 50_000 }, () => rng.float());
    expect(xs.filter((x) => !(x >= 0 && x < 1))).toEqual([]);
    const min = Math.min(...xs);
    const max = Math.max(...xs);
    expect(min).toBeLessThan(0.001);
    expect(max).toBeGreaterThan(0.999);
  });

  it("draws integers within [lo, hi] inclusive and covers every value of a small range", () => {
    // given a generator drawing int(-3, 4) many times
    const rng = createPrng(11);
    const counts = new Map<number, number>();
    const outOfRange: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      const x = rng.int(-3, 4);
      if (!Number.isInteger(x) || x < -3 || x > 4) outOfRange.push(x);
      counts.set(x, (counts.get(x) ?? 0) + 1);
    }
    expect(outOfRange).toEqual([]);
    // then each of the 8 values came up, each roughly an eighth of the time
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([-3, -2, -1, 0, 1, 2, 3, 4]);
    for (const c of counts.values()) expect(c).toBeGreaterThan(1000);
  });

  it("draws the only value of a one-value range", () => {
    const rng = createPrng(1);
    expect(new Set(Array.from({ length: 100 }, () => rng.int(7, 7)))).toEqual(new Set([7]));
  });

  it("draws across a large range, reaching near both ends", () => {
    const rng = createPrng(5);
    const xs = Array.from({ length: 10_000 }, () => rng.int(0, 2 ** 31));
    expect(xs.filter((x) => !Number.isInteger(x) || x < 0 || x > 2 ** 31)).toEqual([]);
    expect(Math.min(...xs)).toBeLessThan(2 ** 31 / 100);
    expect(Math.max(...xs)).toBeGreaterThan(2 ** 31 - 2 ** 31 / 100);
  });

  it.each([1, 2, 0xdeadbeef])("is roughly uniform over 16 buckets in 64k draws (seed %i)", (seed) => {
    // given 65536 draws of int(0, 15), of float bucketed, and of the low 4 bits of nextU32
    const rng = createPrng(seed);
    const byInt = new Array<number>(16).fill(0);
    const byFloat = new Array<number>(16).fill(0);
    const byLowBits = new Array<number>(16).fill(0);
    for (let i = 0; i < 65_536; i++) {
      byInt[rng.int(0, 15)]! += 1;
      byFloat[Math.floor(rng.float() * 16)]! += 1;
      byLowBits[rng.nextU32() & 15]! += 1;
    }
    // then each histogram passes a generous chi-square bound
    expect(chiSquare(byInt), `int buckets ${byInt.join(",")}`).toBeLessThan(CHI_SQUARE_BOUND_15_DF);
    expect(chiSquare(byFloat), `float buckets ${byFloat.join(",")}`).toBeLessThan(CHI_SQUARE_BOUND_15_DF);
    expect(chiSquare(byLowBits), `low-bit buckets ${byLowBits.join(",")}`).toBeLessThan(CHI_SQUARE_BOUND_15_DF);
  });

  it("would flag a skewed histogram with the same bound (the check has teeth)", () => {
    const skewed = new Array<number>(16).fill(4096);
    skewed[0] = 4096 + 600;
    skewed[1] = 4096 - 600;
    expect(chiSquare(skewed)).toBeGreaterThan(CHI_SQUARE_BOUND_15_DF);
  });
});

describe("Prng.split", () => {
  it("gives the same child for the same name and seed", () => {
    expect(draws(createPrng(42).split("gpu0.mmu"), 100)).toEqual(draws(createPrng(42).split("gpu0.mmu"), 100));
  });

  it("does not depend on how far the parent has drawn", () => {
    // given one parent fresh and one that has drawn 1000 values
    const fresh = createPrng(42);
    const used = createPrng(42);
    draws(used, 1000);
    used.float();
    used.int(0, 9);
    // then their children of one name are identical
    expect(draws(used.split("gpu0.pwr"), 100)).toEqual(draws(fresh.split("gpu0.pwr"), 100));
  });

  it("does not move the parent's sequence", () => {
    const parent = createPrng(42);
    const reference = createPrng(42);
    parent.split("a");
    parent.split("b").nextU32();
    expect(draws(parent, 50)).toEqual(draws(reference, 50));
  });

  it("gives different children for different names", () => {
    const parent = createPrng(42);
    const a = draws(parent.split("a"), 100);
    const b = draws(parent.split("b"), 100);
    expect(a).not.toEqual(b);
    expect(a.filter((x, i) => x === b[i]).length).toBeLessThan(3);
  });

  it("gives different children for one name under different seeds", () => {
    expect(draws(createPrng(1).split("gpu0.mmu"), 10)).not.toEqual(draws(createPrng(2).split("gpu0.mmu"), 10));
  });

  it("gives a child whose sequence differs from its parent's", () => {
    expect(draws(createPrng(42).split("child"), 100)).not.toEqual(draws(createPrng(42), 100));
  });

  it("gives distinct children for many actor names (adding one never shifts another)", () => {
    const names = Array.from({ length: 200 }, (_, i) => `gpu0.csg.${i}`);
    const firsts = new Set(names.map((n) => draws(createPrng(7).split(n), 3).join(",")));
    expect(firsts.size).toBe(names.length);
    // and an actor's stream is the same whether or not other actors were split first
    const withOthers = createPrng(7);
    for (const n of names) withOthers.split(n);
    expect(draws(withOthers.split("gpu0.mmu"), 20)).toEqual(draws(createPrng(7).split("gpu0.mmu"), 20));
  });

  it("splits children of children deterministically", () => {
    expect(draws(createPrng(3).split("a").split("b"), 20)).toEqual(draws(createPrng(3).split("a").split("b"), 20));
    expect(draws(createPrng(3).split("a").split("b"), 20)).not.toEqual(draws(createPrng(3).split("b").split("a"), 20));
  });
});
