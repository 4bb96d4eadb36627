/**
 * Fence waits in virtual time. Nothing blocks in tyrsim, so a wait is a pure function of when it
 * started, its timeout, the fence's signal timestamp and the time it is looked at: the value the
 * kernel call would return, or `undefined` while the waiter would still be asleep.
 *
 * Mirrors `dma_fence_wait_timeout` (FENCE-C06) and `dma_fence_wait_any_timeout` (FENCE-C07).
 * Simplified: time is virtual ns instead of jiffies (the return value is the remaining ns, at least
 * 1 when signalled in time); no signals interrupt a wait, so -ERESTARTSYS never happens; the wait's
 * lockdep annotation is the caller's (`SignallingChecker.waitFence`).
 */
import { ERRNO } from "../../shared/gpu/errno.ts";
import { enableSwSignaling, type DmaFence } from "./dmaFence.ts";

/** `MAX_SCHEDULE_TIMEOUT`: wait without a timeout. */
export const MAX_SCHEDULE_TIMEOUT = Number.POSITIVE_INFINITY;

function signalledBy(fence: DmaFence, timeNs: number): boolean {
  return fence.signalled && (fence.timestampNs ?? 0) <= timeNs;
}

/**
 * `dma_fence_wait_timeout(fence, intr, timeout)` begun at `startNs`, observed at `nowNs`:
 * -EINVAL for a negative timeout; enables software signalling; already signalled at the start →
 * the timeout (or 1 if it is 0); unsignalled with timeout 0 → 0; signalled during the wait → the
 * remaining ns (≥ 1); expired → 0; otherwise undefined (still waiting).
 *
 * @example waitTimeout(f, 0, 1_000_000, 500_000) // undefined until f signals or 1 ms passes
 */
export function waitTimeout(fence: DmaFence, startNs: number, timeoutNs: number, nowNs: number): number | undefined {
  if (timeoutNs < 0) return -ERRNO.EINVAL;
  enableSwSignaling(fence, startNs);
  if (signalledBy(fence, startNs)) return timeoutNs > 0 ? timeoutNs : 1;
  if (timeoutNs === 0) return 0;
  const deadline = startNs + timeoutNs;
  if (fence.signalled) {
    const at = fence.timestampNs ?? startNs;
    if (at <= deadline) return at <= nowNs ? Math.max(1, deadline - at) : undefined;
  }
  return nowNs >= deadline ? 0 : undefined;
}

/** Result of {@link waitAnyTimeout}: the return value and, when positive, the index that signalled. */
export interface WaitAnyResult {
  readonly ret: number;
  readonly index: number | undefined;
}

/**
 * `dma_fence_wait_any_timeout(fences, count, intr, timeout, &idx)` begun at `startNs`, observed at
 * `nowNs`: -EINVAL for an empty array or negative timeout; timeout 0 → 1 with the first signalled
 * index, else 0; otherwise wakes at the earliest signal in the window (index = the first fence in
 * array order signalled by then) with the remaining ns, 0 on expiry, undefined while waiting.
 */
export function waitAnyTimeout(fences: readonly DmaFence[], startNs: number, timeoutNs: number, nowNs: number): WaitAnyResult | undefined {
  if (fences.length === 0 || timeoutNs < 0) return { ret: -ERRNO.EINVAL, index: undefined };
  for (const f of fences) enableSwSignaling(f, startNs);
  const firstAt = (t: number): number => fences.findIndex((f) => signalledBy(f, t));
  if (timeoutNs === 0) {
    const i = firstAt(startNs);
    return i >= 0 ? { ret: 1, index: i } : { ret: 0, index: undefined };
  }
  const deadline = startNs + timeoutNs;
  let wake = Number.POSITIVE_INFINITY;
  for (const f of fences) if (f.signalled) wake = Math.min(wake, Math.max(startNs, f.timestampNs ?? startNs));
  if (wake <= deadline) {
    if (wake > nowNs) return undefined;
    return { ret: wake === startNs && timeoutNs > 0 ? timeoutNs : Math.max(1, deadline - wake), index: firstAt(wake) };
  }
  return nowNs >= deadline ? { ret: 0, index: undefined } : undefined;
}
