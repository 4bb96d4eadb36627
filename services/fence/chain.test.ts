/**
 * Fence chains: the cases of drivers/dma-buf/st-dma-fence-chain.c and the chain rules of
 * kernel-tests.md §3.5, against the pure model. Thread races become seeded interleavings.
 */
import { describe, expect, it } from "vitest";
import { createPrng } from "../../shared/random/prng.ts";
import { ERRNO } from "../../shared/gpu/errno.ts";
import { addCallback, enableSwSignaling, fenceCallback, FenceRegistry, isSignaled, signal, type DmaFence } from "./dmaFence.ts";
import { chainContained, chainFindSeqno, chainInit, chainWalk, toChain } from "./chain.ts";

interface FenceChains {
  readonly reg: FenceRegistry;
  readonly fences: DmaFence[];
  readonly chains: DmaFence[];
  readonly tail: DmaFence;
}

const seqnoInc = (i: number): number => i + 1;
const seqnoInc2 = (i: number): number => 2 * i + 2;

/** `fence_chains_init`: n mock fences (context 0, seqno 0 as `mock_fence()`), each wrapped in a chain node with sw signalling on. */
function fenceChains(n: number, seqno: (i: number) => number): FenceChains {
  const reg = new FenceRegistry();
  const fences: DmaFence[] = [];
  const chains: DmaFence[] = [];
  let tail: DmaFence | undefined;
  for (let i = 0; i < n; i++) {
    const f = reg.create({ context: 0, seqno: 0, driverName: "mock" });
    const c = chainInit(reg, tail, f, seqno(i));
    enableSwSignaling(c, 0);
    fences.push(f);
    chains.push(c);
    tail = c;
  }
  return { reg, fences, chains, tail: tail! };
}

describe("st-dma-fence-chain", () => {
  it("sanitycheck: a chain over one fence signals when that fence does", () => {
    const reg = new FenceRegistry();
    const f = reg.create({ context: 0, seqno: 0 });
    const chain = chainInit(reg, undefined, f, 1);
    enableSwSignaling(chain, 0);
    signal(f, 5);
    expect(isSignaled(chain)).toBe(true);
    expect(chain.timestampNs).toBe(5);
  });

  it("find_seqno: finds each point from the tail and itself, refuses future points, steps back to the previous one", () => {
    const fc = fenceChains(64, seqnoInc);
    expect(chainFindSeqno(fc.tail, 0)).toEqual({ err: 0, fence: fc.tail });
    for (let i = 0; i < 64; i++) {
      const fromTail = chainFindSeqno(fc.tail, i + 1);
      expect(fromTail, `find_seqno(tail, ${i + 1})`).toEqual({ err: 0, fence: fc.chains[i] });
      expect(chainFindSeqno(fc.chains[i]!, i + 1).fence, "find self").toBe(fc.chains[i]);
      expect(chainFindSeqno(fc.chains[i]!, i + 2).err, "future fence").toBe(-ERRNO.EINVAL);
      const previous = chainFindSeqno(fc.chains[i]!, i);
      expect(previous.err).toBe(0);
      expect(previous.fence).toBe(i > 0 ? fc.chains[i - 1] : fc.chains[0]);
    }
  });

  it("find_signaled: looking up a completed point yields nothing or the first node", () => {
    const fc = fenceChains(2, seqnoInc);
    signal(fc.fences[0], 1);
    const r = chainFindSeqno(fc.tail, 1);
    expect(r.err).toBe(0);
    expect(r.fence === undefined || r.fence === fc.chains[0]).toBe(true);
  });

  it("find_out_of_order: with the middle of 1-2-3 signalled, point 2 still waits on node 1 (node 2 is collected)", () => {
    const fc = fenceChains(3, seqnoInc);
    signal(fc.fences[1], 1);
    const r = chainFindSeqno(fc.tail, 2);
    expect(r).toEqual({ err: 0, fence: fc.chains[0] });
    expect(toChain(fc.chains[2])!.prev).toBe(fc.chains[0]);
  });

  it("find_gap: on a chain of even seqnos, an odd point resolves to the next node and each node finds itself", () => {
    const fc = fenceChains(64, seqnoInc2);
    for (let i = 0; i < 64; i++) {
      expect(chainFindSeqno(fc.tail, 2 * i + 1).fence, `find_seqno(tail, ${2 * i + 1})`).toBe(fc.chains[i]);
      expect(chainFindSeqno(fc.chains[i]!, 2 * i + 2).fence, "find self").toBe(fc.chains[i]);
    }
  });

  it("find_race: interleaved lookups and signals (seed 7) never fail and return nothing only when the point has completed", () => {
    const fc = fenceChains(64, seqnoInc);
    const rng = createPrng(7);
    for (let step = 0; step < 2000; step++) {
      const seqno = rng.int(1, 64);
      const r = chainFindSeqno(fc.tail, seqno);
      expect(r.err).toBe(0);
      if (r.fence) {
        expect(toChain(r.fence)!.prevSeqno < BigInt(seqno)).toBe(true);
        if (r.fence.seqno === BigInt(seqno)) expect(chainFindSeqno(r.fence, seqno).err).toBe(0);
      } else {
        expect(fc.fences.slice(0, seqno).every((f) => f.signalled), `nothing to wait for point ${seqno}`).toBe(true);
      }
      signal(fc.fences[rng.int(0, 62)], step);
    }
  });

  it("signal_forward: signalling in order completes each node and not the next", () => {
    const fc = fenceChains(64, seqnoInc);
    for (let i = 0; i < 64; i++) {
      signal(fc.fences[i], i);
      expect(isSignaled(fc.chains[i]!), `chain[${i}]`).toBe(true);
      if (i + 1 < 64) expect(isSignaled(fc.chains[i + 1]!), `chain[${i + 1}]`).toBe(false);
    }
  });

  it("signal_backward: signalling from the end completes nothing until the first fence, then everything", () => {
    const fc = fenceChains(64, seqnoInc);
    for (let i = 63; i >= 0; i--) {
      signal(fc.fences[i], 63 - i);
      if (i > 0) expect(isSignaled(fc.chains[i]!), `chain[${i}]`).toBe(false);
    }
    for (const c of fc.chains) expect(isSignaled(c)).toBe(true);
  });

  it.each([
    ["wait_forward", (n: number) => Array.from({ length: n }, (_, i) => i)],
    ["wait_backward", (n: number) => Array.from({ length: n }, (_, i) => n - 1 - i)],
    ["wait_random", (n: number) => shuffled(n, 7)],
  ])("%s: a waiter on the tail wakes exactly once, at the last signal", (_name, order) => {
    const fc = fenceChains(64, seqnoInc);
    const woke: number[] = [];
    expect(addCallback(fc.tail, fenceCallback((f) => woke.push(f.timestampNs!)))).toBe(0);
    const idx = order(64);
    idx.forEach((i, t) => {
      expect(woke).toEqual([]);
      signal(fc.fences[i], t + 1);
    });
    expect(woke).toEqual([64]);
    expect(isSignaled(fc.tail)).toBe(true);
  });
});

function shuffled(n: number, seed: number): number[] {
  const rng = createPrng(seed);
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

describe("chain rules (§3.5)", () => {
  it("reuses the previous chain's context only for a later seqno, otherwise allocates a context and keeps the larger seqno", () => {
    const reg = new FenceRegistry();
    const f = () => reg.create({ context: 0, seqno: 0 });
    const c1 = chainInit(reg, undefined, f(), 5);
    const c2 = chainInit(reg, c1, f(), 6);
    expect(c2.context).toBe(c1.context);
    expect(toChain(c2)!.prevSeqno).toBe(5n);
    const c3 = chainInit(reg, c2, f(), 3);
    expect(c3.context).not.toBe(c2.context);
    expect(c3.seqno).toBe(6n);
    expect(toChain(c3)!.prevSeqno).toBe(0n);
    expect(c3.seqno64).toBe(true);
  });

  it("starting from a plain fence allocates a new context and keeps the given seqno", () => {
    const reg = new FenceRegistry();
    const plain = reg.create({ context: reg.contextAlloc(1), seqno: 100 });
    const c = chainInit(reg, plain, reg.create({ context: 0, seqno: 0 }), 2);
    expect(c.context).not.toBe(plain.context);
    expect(c.seqno).toBe(2n);
    expect(chainWalk(c)).toBe(plain);
  });

  it("warns when a chain node wraps another chain node", () => {
    const reg = new FenceRegistry();
    const inner = chainInit(reg, undefined, reg.create({ context: 0, seqno: 0 }), 1);
    chainInit(reg, undefined, inner, 1);
    expect(reg.warnings.map((w) => w.kind)).toEqual(["chain-contains-chain"]);
  });

  it("a walk unlinks signalled predecessors and reports the contained fence of each node", () => {
    const fc = fenceChains(4, seqnoInc);
    signal(fc.fences[1], 1);
    signal(fc.fences[2], 2);
    expect(chainWalk(fc.chains[3]!)).toBe(fc.chains[0]);
    expect(toChain(fc.chains[3])!.prev).toBe(fc.chains[0]);
    expect(chainContained(fc.chains[3]!)).toBe(fc.fences[3]);
    expect(chainContained(fc.fences[3]!)).toBe(fc.fences[3]);
  });

  it("knows a chain node from a plain fence, and shares one ops table between nodes", () => {
    const reg = new FenceRegistry();
    const plain = reg.create({ context: 0, seqno: 0 });
    const a = chainInit(reg, undefined, plain, 1);
    const b = chainInit(reg, a, reg.create({ context: 0, seqno: 1 }), 2);
    expect(toChain(plain)).toBeUndefined();
    expect(toChain(undefined)).toBeUndefined();
    expect(toChain(b)).toMatchObject({ base: b, prev: a, prevSeqno: 1n });
    expect(a.ops).toBe(b.ops);
  });

  it("find_seqno on a plain fence is -EINVAL", () => {
    const reg = new FenceRegistry();
    expect(chainFindSeqno(reg.create({ context: 1, seqno: 1 }), 1).err).toBe(-ERRNO.EINVAL);
  });

  it("a chain signals without an error even when a wrapped fence failed (containers do not invent errors)", () => {
    const reg = new FenceRegistry();
    const f = reg.create({ context: 0, seqno: 0 });
    const c = chainInit(reg, undefined, f, 1);
    enableSwSignaling(c, 0);
    signal(f, 3, -ERRNO.EIO);
    expect(c).toMatchObject({ signalled: true, error: 0 });
  });
});
