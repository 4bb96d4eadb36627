import { describe, expect, it } from "vitest";
import { createPrng, type Prng } from "../random/prng.ts";
import { BinaryHeap } from "./binaryHeap.ts";

const SEED = 0x5eed;

const numberHeap = () => new BinaryHeap<number>((a, b) => a < b);

/** Pop until empty and return what came out, in order. */
function drain<T>(heap: BinaryHeap<T>): T[] {
  const out: T[] = [];
  for (let x = heap.pop(); x !== undefined; x = heap.pop()) out.push(x);
  return out;
}

function randomInts(rng: Prng, count: number, lo: number, hi: number): number[] {
  return Array.from({ length: count }, () => rng.int(lo, hi));
}

const ascending = (a: number, b: number) => a - b;

/** Insert into an ascending array, keeping it sorted (the reference model of the heap). */
function insertSorted(sorted: number[], x: number): void {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  sorted.splice(lo, 0, x);
}

describe("BinaryHeap", () => {
  it("is empty when new: size 0, peek and pop give undefined", () => {
    const heap = numberHeap();
    expect(heap.size).toBe(0);
    expect(heap.peek()).toBeUndefined();
    expect(heap.pop()).toBeUndefined();
    expect(heap.size).toBe(0);
  });

  it("pops a single item and is empty again", () => {
    const heap = numberHeap();
    heap.push(42);
    expect(heap.peek()).toBe(42);
    expect(heap.size).toBe(1);
    expect(heap.pop()).toBe(42);
    expect(heap.size).toBe(0);
    expect(heap.pop()).toBeUndefined();
  });

  it("peeks at the smallest item without removing it", () => {
    const heap = numberHeap();
    for (const x of [5, 3, 8, 1, 9]) heap.push(x);
    expect(heap.peek()).toBe(1);
    expect(heap.peek()).toBe(1);
    expect(heap.size).toBe(5);
  });

  it.each([1, 2, 3, 7, 64, 1000, 4097])("pops %i random integers in ascending order (seed 0x5eed)", (count) => {
    // given a heap filled with seeded random integers
    const rng = createPrng(SEED).split(`count-${count}`);
    const input = randomInts(rng, count, -1_000_000, 1_000_000);
    const heap = numberHeap();
    for (const x of input) heap.push(x);
    expect(heap.size).toBe(count);
    // when it is drained
    const out = drain(heap);
    // then everything comes out once, sorted
    expect(out).toEqual([...input].sort(ascending));
    expect(heap.size).toBe(0);
  });

  it("keeps every duplicate when many keys are equal", () => {
    const rng = createPrng(SEED).split("duplicates");
    const input = randomInts(rng, 2000, 0, 3);
    const heap = numberHeap();
    for (const x of input) heap.push(x);
    const out = drain(heap);
    expect(out).toEqual([...input].sort(ascending));
    for (const v of [0, 1, 2, 3]) expect(out.filter((x) => x === v).length).toBe(input.filter((x) => x === v).length);
  });

  it("pops items with equal keys, each exactly once, and never before a smaller key", () => {
    // given items distinguished by a label but ordered only by key
    interface Item {
      readonly key: number;
      readonly label: string;
    }
    const heap = new BinaryHeap<Item>((a, b) => a.key < b.key);
    const rng = createPrng(SEED).split("labels");
    const items: Item[] = Array.from({ length: 500 }, (_, i) => ({ key: rng.int(0, 9), label: `item-${i}` }));
    for (const it of items) heap.push(it);
    // when drained
    const out = drain(heap);
    // then keys are non-decreasing and every labelled item came out once
    for (let i = 1; i < out.length; i++) expect((out[i] as Item).key).toBeGreaterThanOrEqual((out[i - 1] as Item).key);
    expect(out.map((x) => x.label).sort()).toEqual(items.map((x) => x.label).sort());
  });

  it("pops all-equal keys without losing any", () => {
    const heap = numberHeap();
    for (let i = 0; i < 100; i++) heap.push(7);
    expect(drain(heap)).toEqual(Array.from({ length: 100 }, () => 7));
  });

  it("always pops the minimum of what is queued when pushes and pops interleave (seed 0x5eed)", () => {
    // given a reference multiset kept as a sorted array
    const rng = createPrng(SEED).split("interleaved");
    const heap = numberHeap();
    const reference: number[] = [];
    for (let step = 0; step < 20_000; step++) {
      // when pushes (60%) and pops (40%) interleave at random
      if (rng.float() < 0.6) {
        const x = rng.int(0, 500);
        heap.push(x);
        insertSorted(reference, x);
      } else {
        // then every pop returns the reference's minimum, and size tracks the reference
        expect(heap.pop()).toBe(reference.shift());
      }
      if (heap.size !== reference.length || heap.peek() !== reference[0]) {
        expect.fail(`step ${step}: size ${heap.size}, peek ${heap.peek()}; expected ${reference.length}, ${reference[0]}`);
      }
    }
    expect(drain(heap)).toEqual(reference);
  });

  it("orders by the comparator it is given, e.g. a max-heap", () => {
    const heap = new BinaryHeap<number>((a, b) => a > b);
    for (const x of [3, 1, 4, 1, 5, 9, 2, 6]) heap.push(x);
    expect(drain(heap)).toEqual([9, 6, 5, 4, 3, 2, 1, 1]);
  });

  it("orders ascending and descending inputs alike", () => {
    const up = numberHeap();
    const down = numberHeap();
    for (let i = 0; i < 300; i++) {
      up.push(i);
      down.push(299 - i);
    }
    const expected = Array.from({ length: 300 }, (_, i) => i);
    expect(drain(up)).toEqual(expected);
    expect(drain(down)).toEqual(expected);
  });
});
