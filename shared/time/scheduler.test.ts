import { describe, expect, it } from "vitest";
import { createPrng, type Prng } from "../random/prng.ts";
import { keyLess, Scheduler, TimeTravelError, type OrderKey } from "./scheduler.ts";

const SEED = 20240601;

/** Fisher–Yates with the run's seeded PRNG, so a failing order is reproducible from the seed. */
function shuffled<T>(items: readonly T[], rng: Prng): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

const label = (k: OrderKey) => `${k.timeNs}/${k.depth}/${k.source}/${k.n}`;

/** Schedule `keys` in the given order; return the labels in the order they fire. */
function executionOrder(keys: readonly OrderKey[]): string[] {
  const s = new Scheduler();
  const fired: string[] = [];
  for (const k of keys) s.schedule({ ...k, fire: () => fired.push(label(k)) });
  while (s.step());
  return fired;
}

/** A grid of keys that tie on every prefix of the order key. */
function keyGrid(): OrderKey[] {
  const keys: OrderKey[] = [];
  for (const timeNs of [0, 5, 1_000_000])
    for (const depth of [0, 1, 2])
      for (const source of ["gpu0.mmu", "gpu0.pwr", "scenario"])
        for (const n of [0, 1, 10]) keys.push({ timeNs, depth, source, n });
  return keys;
}

describe("keyLess", () => {
  it("compares by time, then depth, then source, then counter", () => {
    const base = { timeNs: 10, depth: 1, source: "b", n: 5 };
    expect(keyLess({ ...base, timeNs: 9, depth: 9 }, base)).toBe(true);
    expect(keyLess({ ...base, depth: 0, source: "z" }, base)).toBe(true);
    expect(keyLess({ ...base, source: "a", n: 99 }, base)).toBe(true);
    expect(keyLess({ ...base, n: 4 }, base)).toBe(true);
    expect(keyLess(base, base)).toBe(false);
    expect(keyLess({ ...base, n: 6 }, base)).toBe(false);
  });

  it("compares numeric counters as numbers, so n=10 comes after n=9", () => {
    expect(keyLess({ timeNs: 0, depth: 0, source: "a", n: 9 }, { timeNs: 0, depth: 0, source: "a", n: 10 })).toBe(true);
  });
});

describe("Scheduler", () => {
  it("starts idle at time 0", () => {
    const s = new Scheduler();
    expect(s.nowNs).toBe(0);
    expect(s.pending).toBe(0);
    expect(s.nextTimeNs()).toBeUndefined();
    expect(s.step()).toBe(false);
  });

  it("executes items by (timeNs, depth, source, n) whatever order they were scheduled in (seed 20240601)", () => {
    // given the same keys scheduled in many seeded random orders
    const keys = keyGrid();
    const canonical = [...keys].sort((a, b) => (keyLess(a, b) ? -1 : keyLess(b, a) ? 1 : 0)).map(label);
    const rng = createPrng(SEED);
    for (let trial = 0; trial < 20; trial++) {
      // when each order is run
      const order = executionOrder(shuffled(keys, rng));
      // then they all execute in the one canonical order
      expect(order, `trial ${trial} (seed ${SEED})`).toEqual(canonical);
    }
    expect(canonical[0]).toBe("0/0/gpu0.mmu/0");
    expect(canonical.at(-1)).toBe("1000000/2/scenario/10");
  });

  it("moves now to each item's time as it fires, and never backwards", () => {
    const s = new Scheduler();
    const seen: number[] = [];
    const rng = createPrng(SEED).split("times");
    for (let i = 0; i < 200; i++) {
      s.schedule({ timeNs: rng.int(0, 10_000), depth: 0, source: "t", n: i, fire: () => seen.push(s.nowNs) });
    }
    while (s.step());
    expect(seen).toHaveLength(200);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1] as number);
    expect(s.nowNs).toBe(seen.at(-1));
  });

  it("runs items scheduled from inside a firing item, at the same instant when due now", () => {
    // given an item at 100 that schedules a follow-up at depth 1 in the same instant and one later
    const s = new Scheduler();
    const log: string[] = [];
    s.schedule({
      timeNs: 100, depth: 0, source: "a", n: 0,
      fire: () => {
        log.push(`a@${s.nowNs}`);
        s.schedule({ timeNs: 100, depth: 1, source: "a", n: 1, fire: () => log.push(`a-reaction@${s.nowNs}`) });
        s.schedule({ timeNs: 300, depth: 0, source: "a", n: 2, fire: () => log.push(`a-later@${s.nowNs}`) });
      },
    });
    s.schedule({ timeNs: 100, depth: 0, source: "b", n: 0, fire: () => log.push(`b@${s.nowNs}`) });
    // when run to completion
    while (s.step());
    // then the reaction follows every depth-0 item of its instant
    expect(log).toEqual(["a@100", "b@100", "a-reaction@100", "a-later@300"]);
  });

  it("refuses to schedule into the past with a TimeTravelError naming both times and the source", () => {
    // given a scheduler whose time has reached 500
    const s = new Scheduler();
    s.schedule({ timeNs: 500, depth: 0, source: "x", n: 0, fire: () => {} });
    s.step();
    expect(s.nowNs).toBe(500);
    // when an item is scheduled at 499
    let error: unknown;
    try {
      s.schedule({ timeNs: 499, depth: 0, source: "gpu0.mmu", n: 1, fire: () => {} });
    } catch (e) {
      error = e;
    }
    // then the error carries both times and the culprit
    expect(error).toBeInstanceOf(TimeTravelError);
    const tt = error as TimeTravelError;
    expect(tt.name).toBe("TimeTravelError");
    expect(tt.nowNs).toBe(500);
    expect(tt.requestedNs).toBe(499);
    expect(tt.source).toBe("gpu0.mmu");
    expect(tt.message).toContain("500");
    expect(tt.message).toContain("499");
    expect(tt.message).toContain("gpu0.mmu");
    expect(s.pending).toBe(0);
  });

  it("accepts an item at exactly the current time", () => {
    const s = new Scheduler();
    s.advanceTo(70);
    expect(() => s.schedule({ timeNs: 70, depth: 0, source: "x", n: 0, fire: () => {} })).not.toThrow();
    expect(s.pending).toBe(1);
  });

  it("does not run items beyond the step limit, and leaves them pending", () => {
    // given items at 10, 20 and 30
    const s = new Scheduler();
    const fired: number[] = [];
    for (const t of [30, 10, 20]) s.schedule({ timeNs: t, depth: 0, source: "x", n: t, fire: () => fired.push(t) });
    // when stepped with a limit of 20
    while (s.step(20));
    // then only items due at or before 20 ran, and time stopped at the last one that ran
    expect(fired).toEqual([10, 20]);
    expect(s.nowNs).toBe(20);
    expect(s.pending).toBe(1);
    expect(s.nextTimeNs()).toBe(30);
    expect(s.step(29)).toBe(false);
    expect(s.nowNs).toBe(20);
    // and a later unbounded step runs the rest
    expect(s.step()).toBe(true);
    expect(fired).toEqual([10, 20, 30]);
  });

  it("reports the time of the next pending item", () => {
    const s = new Scheduler();
    s.schedule({ timeNs: 40, depth: 3, source: "z", n: 0, fire: () => {} });
    s.schedule({ timeNs: 15, depth: 9, source: "z", n: 1, fire: () => {} });
    expect(s.nextTimeNs()).toBe(15);
    expect(s.pending).toBe(2);
  });

  it("advances time with nothing happening, but never backwards", () => {
    // given a scheduler with an item at 1000
    const s = new Scheduler();
    let fired = false;
    s.schedule({ timeNs: 1000, depth: 0, source: "x", n: 0, fire: () => (fired = true) });
    // when time is advanced to 400
    s.advanceTo(400);
    // then time moved and nothing ran
    expect(s.nowNs).toBe(400);
    expect(fired).toBe(false);
    expect(s.pending).toBe(1);
    // and advancing to an earlier time is ignored
    s.advanceTo(100);
    expect(s.nowNs).toBe(400);
    // and scheduling before the advanced time is time travel
    expect(() => s.schedule({ timeNs: 399, depth: 0, source: "x", n: 1, fire: () => {} })).toThrow(TimeTravelError);
  });
});
