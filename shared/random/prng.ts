/**
 * The run's seeded pseudo-random generator: xoshiro128** seeded through splitmix32. One generator
 * per run, split per actor by name, so adding an actor never shifts another actor's draws.
 */
export interface Prng {
  /** Next unsigned 32-bit integer. */
  nextU32(): number;
  /** Uniform float in [0, 1). */
  float(): number;
  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number;
  /** Independent generator for a named child (an actor), derived from this one's seed. */
  split(name: string): Prng;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** FNV-1a over a string, mixed with a seed: how child seeds are derived from names. */
function hashName(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/** Create the generator for `seed` (any 32-bit integer; larger values are folded). */
export function createPrng(seed: number): Prng {
  const sm = splitmix32(seed);
  let a = sm(), b = sm(), c = sm(), d = sm();
  if ((a | b | c | d) === 0) a = 1;
  const nextU32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0;
    const t = (b << 9) >>> 0;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  const base = seed >>> 0;
  return {
    nextU32,
    float: () => nextU32() / 4294967296,
    int: (lo, hi) => lo + Math.floor((nextU32() / 4294967296) * (hi - lo + 1)),
    split: (name) => createPrng(hashName(base, name)),
  };
}
