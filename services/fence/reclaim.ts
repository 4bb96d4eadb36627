/**
 * The memory-pressure deadlock the dma-fence contract exists to prevent (FENCE-R05), as a pure
 * decision: an allocation on a fence's signalling path that enters direct reclaim runs the
 * shrinker, the shrinker waits for busy objects to go idle (their fences), and if one of those
 * fences can only signal once this very allocation returns, nothing ever moves again.
 *
 * Two policies for the path that signals job fences:
 * - `unsafe`: allocates with GFP_KERNEL inside the section (what the contract forbids);
 * - `safe`: uses memory reserved before the fence was published (preallocation at submit, where
 *   reclaim is allowed) and otherwise GFP_NOWAIT, which fails with -ENOMEM instead of reclaiming.
 *
 * Mirrors the shape of the kernel's slow path (`__alloc_pages_direct_reclaim` → `shrink_slab` →
 * a GEM shrinker's `dma_resv_wait_timeout` on a busy object) only as far as the deadlock needs.
 * Simplified: memory is one byte count; the shrinker frees idle objects first, then waits on busy
 * ones in list order; which fences are blocked by the allocating thread is the caller's knowledge
 * (the fence being signalled and everything that depends on it). Lockdep's view of the same bug is
 * {@link SignallingChecker}, which flags it on every run, pressure or not.
 */
import { ERRNO } from "../../shared/gpu/errno.ts";
import type { DmaFence, FenceId } from "./dmaFence.ts";
import { gfpMayReclaim, type Gfp, type SignallingChecker, type SignallingViolation } from "./signallingSection.ts";

/** How the fence-signalling path gets memory. */
export type SignallingAllocPolicy = "unsafe" | "safe";

/** Memory as the allocator and the shrinker see it. */
export interface MemoryPressure {
  readonly freeBytes: number;
  /** What the shrinker frees without waiting (idle, purgeable objects). */
  readonly idleReclaimableBytes: number;
  /** Objects still in use by the GPU: freed only once their fence signals, so the shrinker waits. */
  readonly busy: readonly { readonly fence: DmaFence; readonly bytes: number }[];
}

/** What one allocation does. */
export type AllocOutcome =
  | { readonly kind: "allocated"; readonly reclaimedBytes: number }
  | { readonly kind: "from-reserve" }
  | { readonly kind: "failed"; readonly errno: number }
  | { readonly kind: "blocked"; readonly waitsOn: readonly FenceId[] }
  | { readonly kind: "deadlock"; readonly waitsOn: FenceId; readonly cycle: string };

/** An allocation request. */
export interface AllocRequest {
  readonly bytes: number;
  readonly gfp: Gfp;
  /** Fences that cannot signal until this allocation returns (the caller's signalling path). */
  readonly blocks?: readonly DmaFence[];
}

/**
 * One allocation against `mem`: satisfied from free memory; else, without direct reclaim, -ENOMEM;
 * else the shrinker frees idle memory, then waits on busy objects until enough would be freed —
 * `deadlock` if one of those fences is in `blocks`, `blocked` (sleeping until they signal) otherwise.
 */
export function allocate(mem: MemoryPressure, req: AllocRequest): AllocOutcome {
  if (mem.freeBytes >= req.bytes) return { kind: "allocated", reclaimedBytes: 0 };
  if (!gfpMayReclaim(req.gfp)) return { kind: "failed", errno: -ERRNO.ENOMEM };
  // Objects whose fence has signalled are idle by now: the shrinker frees them without waiting.
  let have = mem.freeBytes + mem.idleReclaimableBytes;
  for (const obj of mem.busy) if (obj.fence.signalled) have += obj.bytes;
  if (have >= req.bytes) return { kind: "allocated", reclaimedBytes: req.bytes - mem.freeBytes };
  const waitsOn: FenceId[] = [];
  const blocked = new Set((req.blocks ?? []).map((f) => f.id));
  for (const obj of mem.busy) {
    if (obj.fence.signalled) continue;
    if (blocked.has(obj.fence.id)) {
      return {
        kind: "deadlock",
        waitsOn: obj.fence.id,
        cycle: `allocation (${req.gfp}) → direct reclaim → shrinker waits on fence ${obj.fence.id} → its signalling path is waiting for this allocation`,
      };
    }
    waitsOn.push(obj.fence.id);
    have += obj.bytes;
    if (have >= req.bytes) break;
  }
  return waitsOn.length > 0 ? { kind: "blocked", waitsOn } : { kind: "failed", errno: -ERRNO.ENOMEM };
}

/** The flags the signalling path allocates with under `policy` (GFP_KERNEL vs GFP_NOWAIT). */
export function signallingPathGfp(policy: SignallingAllocPolicy): Gfp {
  return policy === "unsafe" ? "GFP_KERNEL" : "GFP_NOWAIT";
}

/** Result of {@link allocateOnSignallingPath}: the outcome and any lockdep reports it caused. */
export interface SignallingAllocResult {
  readonly outcome: AllocOutcome;
  readonly violations: readonly SignallingViolation[];
}

/**
 * An allocation made while signalling `blocks` (e.g. a job-completion handler), under `policy`:
 * `safe` first takes from `reservedBytes` (preallocated outside the section), then GFP_NOWAIT;
 * `unsafe` uses GFP_KERNEL. With `lockdep`, the allocation is also reported to the checker, which
 * flags the unsafe one even when memory is plentiful.
 */
export function allocateOnSignallingPath(args: {
  readonly policy: SignallingAllocPolicy;
  readonly mem: MemoryPressure;
  readonly bytes: number;
  readonly reservedBytes?: number;
  readonly blocks: readonly DmaFence[];
  readonly lockdep?: { readonly checker: SignallingChecker; readonly thread: string; readonly site?: string };
}): SignallingAllocResult {
  if (args.policy === "safe" && (args.reservedBytes ?? 0) >= args.bytes) return { outcome: { kind: "from-reserve" }, violations: [] };
  const gfp = signallingPathGfp(args.policy);
  const violations = args.lockdep ? args.lockdep.checker.allocate(args.lockdep.thread, gfp, args.lockdep.site) : [];
  return { outcome: allocate(args.mem, { bytes: args.bytes, gfp, blocks: args.blocks }), violations };
}
