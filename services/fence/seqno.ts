/**
 * Seqno ordering of fences on one context (kernel-tests.md §3.3).
 *
 * Mirrors `__dma_fence_is_later`, `dma_fence_is_later`, `dma_fence_is_later_or_same` and
 * `dma_fence_later` (include/linux/dma-fence.h): 32-bit fences compare the low 32 bits with wrap
 * (`(s32)(lower_32_bits(a) - lower_32_bits(b)) > 0`), 64-bit fences (`dma_fence_init64`, every chain
 * node) compare plainly; the mode is taken from the first fence.
 *
 * Simplified: the context-mismatch WARN is recorded on the registry instead of printed.
 */
import { isSignaled, type DmaFence } from "./dmaFence.ts";

/**
 * `__dma_fence_is_later(fence, f1, f2)`: is seqno `a` later than `b` in the given mode?
 *
 * @example seqnoIsLater(1n, 0xffffffffn, false) // true: 32-bit wrap
 */
export function seqnoIsLater(a: bigint, b: bigint, seqno64: boolean): boolean {
  if (seqno64) return BigInt.asUintN(64, a) > BigInt.asUintN(64, b);
  return BigInt.asIntN(32, BigInt.asUintN(32, a) - BigInt.asUintN(32, b)) > 0n;
}

/**
 * `dma_fence_is_later(f1, f2)`: false, with a recorded WARN, when the contexts differ (FENCE-S10).
 */
export function isLater(f1: DmaFence, f2: DmaFence): boolean {
  if (f1.context !== f2.context) {
    f1.registry.warn("context-mismatch", f1, `is_later against fence ${f2.id} on context ${f2.context}`);
    return false;
  }
  return seqnoIsLater(f1.seqno, f2.seqno, f1.seqno64);
}

/** `dma_fence_is_later_or_same`: true for the same object, otherwise {@link isLater} (FENCE-S03). */
export function isLaterOrSame(f1: DmaFence, f2: DmaFence): boolean {
  return f1 === f2 || isLater(f1, f2);
}

/**
 * `dma_fence_later(f1, f2)`: the later of two fences on one context, or undefined if that fence is
 * already signalled (nothing left to wait for) or the contexts differ (WARN) (FENCE-S11).
 */
export function later(f1: DmaFence, f2: DmaFence): DmaFence | undefined {
  if (f1.context !== f2.context) {
    f1.registry.warn("context-mismatch", f1, `later() against fence ${f2.id} on context ${f2.context}`);
    return undefined;
  }
  const pick = isLater(f1, f2) ? f1 : f2;
  return isSignaled(pick) ? undefined : pick;
}
