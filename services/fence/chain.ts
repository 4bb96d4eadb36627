/**
 * Fence chains: timeline points built as a linked list of nodes, each wrapping one fence, a node
 * being signalled once every wrapped fence from it back to the start is (kernel-tests.md §3.5).
 *
 * Mirrors `drivers/dma-buf/dma-fence-chain.c`: `dma_fence_chain_init`, `to_dma_fence_chain`,
 * `dma_fence_chain_contained`, `dma_fence_chain_walk` (with its garbage collection of signalled
 * predecessors), `dma_fence_chain_for_each`, `dma_fence_chain_find_seqno`, and the chain's
 * `enable_signaling` / `signaled` ops.
 *
 * Simplified: the kernel's irq_work hop between a wrapped fence's callback and the chain's re-check
 * is synchronous here; the chain signals with no error (a container does not invent errors,
 * FENCE-E05); no RCU or cmpxchg on `prev` (single-threaded).
 */
import { ERRNO } from "../../shared/gpu/errno.ts";
import { addCallback, fenceCallback, isSignaled, signal, type DmaFence, type FenceOps, type FenceRegistry } from "./dmaFence.ts";
import { seqnoIsLater } from "./seqno.ts";

/** `struct dma_fence_chain`: the node's own fence plus its links. */
export interface DmaFenceChain {
  readonly base: DmaFence;
  /** Previous point (a chain node or a plain fence), unlinked by walks once signalled. */
  prev: DmaFence | undefined;
  /** `prev_seqno`: the previous node's seqno when the context was reused, else 0. */
  readonly prevSeqno: bigint;
  /** The wrapped fence. */
  readonly fence: DmaFence;
}

/** `to_dma_fence_chain`: the chain node behind a fence, if it is one. */
export function toChain(fence: DmaFence | undefined): DmaFenceChain | undefined {
  return fence?.chain;
}

/** `dma_fence_chain_contained`: the wrapped fence of a node, or the fence itself. */
export function chainContained(fence: DmaFence): DmaFence {
  return toChain(fence)?.fence ?? fence;
}

/** `dma_fence_chain_ops`: one object shared by every node, as in the kernel (the hooks keep no state). */
const CHAIN_OPS: FenceOps = { enableSignaling: (f, nowNs) => chainEnableSignaling(f, nowNs), signaled: (f) => chainSignaled(f) };

/**
 * `dma_fence_chain_init(chain, prev, fence, seqno)`. Reuses `prev`'s context iff `prev` is a chain
 * and `seqno` is later (64-bit); otherwise allocates a context and, after a chain, bumps the seqno
 * to `max(prev.seqno, seqno)`. Wrapping a chain in a chain is a WARN (recorded).
 */
export function chainInit(registry: FenceRegistry, prev: DmaFence | undefined, fence: DmaFence, seqno: bigint | number): DmaFence {
  const prevChain = toChain(prev);
  let s = BigInt.asUintN(64, BigInt(seqno));
  let context: number;
  let prevSeqno = 0n;
  if (prev && prevChain && seqnoIsLater(s, prev.seqno, true)) {
    prevSeqno = prev.seqno;
    context = prev.context;
  } else {
    context = registry.contextAlloc(1);
    if (prev && prevChain && prev.seqno > s) s = prev.seqno;
  }
  const base = registry.create({
    context,
    seqno: s,
    seqno64: true,
    driverName: "dma_fence_chain",
    timelineName: "unbound",
    ops: CHAIN_OPS,
  });
  if (toChain(fence)) registry.warn("chain-contains-chain", base, `wraps chain fence ${fence.id}`);
  base.chain = { base, prev, prevSeqno, fence };
  return base;
}

/**
 * `dma_fence_chain_walk(fence)`: the point before `fence`, first unlinking every signalled
 * predecessor (garbage collection); undefined at the end or for a non-chain fence.
 */
export function chainWalk(fence: DmaFence): DmaFence | undefined {
  const chain = toChain(fence);
  if (!chain) return undefined;
  let prev: DmaFence | undefined;
  while ((prev = chain.prev)) {
    const prevChain = toChain(prev);
    let replacement: DmaFence | undefined;
    if (prevChain) {
      if (!isSignaled(prevChain.fence)) break;
      replacement = prevChain.prev;
    } else {
      if (!isSignaled(prev)) break;
      replacement = undefined;
    }
    chain.prev = replacement;
  }
  return prev;
}

/** `dma_fence_chain_for_each(iter, head)`: the head, then each {@link chainWalk} step. */
export function* chainForEach(head: DmaFence): Generator<DmaFence> {
  for (let iter: DmaFence | undefined = head; iter; iter = chainWalk(iter)) yield iter;
}

/**
 * `dma_fence_chain_find_seqno(&fence, seqno)`: 0 and `fence` unchanged for seqno 0; -EINVAL if
 * `fence` is not a chain or `seqno` is beyond it; otherwise 0 and the oldest node that will signal
 * `seqno` (undefined when everything up to it has signalled).
 */
export function chainFindSeqno(fence: DmaFence, seqno: bigint | number): { err: number; fence: DmaFence | undefined } {
  const s = BigInt(seqno);
  if (s === 0n) return { err: 0, fence };
  const chain = toChain(fence);
  if (!chain || chain.base.seqno < s) return { err: -ERRNO.EINVAL, fence };
  // The walk of chainForEach, as a plain loop: timeline waits run it once per point.
  for (let iter: DmaFence | undefined = fence; iter; iter = chainWalk(iter)) {
    const c = iter.chain;
    if (iter.context !== chain.base.context || !c || c.prevSeqno < s) return { err: 0, fence: iter };
  }
  return { err: 0, fence: undefined };
}

/** The chain's `signaled` op: every wrapped fence from this node back is signalled. */
function chainSignaled(head: DmaFence): boolean {
  for (let iter: DmaFence | undefined = head; iter; iter = chainWalk(iter)) if (!isSignaled(chainContained(iter))) return false;
  return true;
}

/**
 * The chain's `enable_signaling` op: wait on the first unsignalled wrapped fence; its callback
 * re-runs this, and signals the node once nothing is left (at the callback's time).
 */
function chainEnableSignaling(head: DmaFence, nowNs: number): boolean {
  for (let iter: DmaFence | undefined = head; iter; iter = chainWalk(iter)) {
    const f = chainContained(iter);
    const cb = fenceCallback((done) => {
      const at = done.timestampNs ?? nowNs;
      if (!chainEnableSignaling(head, at)) signal(head, at);
    });
    if (addCallback(f, cb, nowNs) === 0) return true;
  }
  return false;
}
