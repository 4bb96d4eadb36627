/**
 * Fence-signalling critical sections and the lockdep model that checks them (kernel-tests.md §3.7).
 *
 * Mirrors `dma_fence_begin_signalling` / `dma_fence_end_signalling` (a recursive-read hold of the
 * `dma_fence_lockdep_map` pseudo-lock), `__dma_fence_might_wait` (a write acquire+release of it on
 * every fence wait, with an enclosing section's read hold dropped around it, FENCE-R07),
 * `fs_reclaim_acquire`/`release` inside `might_alloc` for allocations that may enter reclaim, and
 * `dma_resv_lockdep()`'s boot-time priming of mmap_lock → dma_resv → fs_reclaim → i_mmap →
 * mmu_notifier → fence wait (FENCE-R09). A lock-class graph records "B taken while A held"; an
 * acquisition that closes a cycle is returned as a {@link SignallingViolation}, never thrown.
 *
 * Simplified: lock classes are strings; threads are names; only waits put edges *into* the fence
 * map, so the read-read case lockdep tolerates (two sections) is never a cycle; GFP_NOFS and
 * GFP_NOIO count as entering fs_reclaim like GFP_KERNEL (the kernel's reason to ban them, FENCE-R06,
 * is the MMU-notifier edge, folded in here); every occurrence is reported (lockdep reports the
 * first). tyrsim adds one rule lockdep does not have: an unbounded fence wait inside a section is
 * itself a violation (the issue's "unbounded wait"); lockdep alone only flags it via lock cycles.
 */

/** Allocation flags that matter for the contract (`gfp_t`). */
export type Gfp = "GFP_KERNEL" | "GFP_NOFS" | "GFP_NOIO" | "GFP_ATOMIC" | "GFP_NOWAIT";

/** Does an allocation with `gfp` do direct reclaim (so it may wait on fences via a shrinker)? */
export function gfpMayReclaim(gfp: Gfp): boolean {
  return gfp === "GFP_KERNEL" || gfp === "GFP_NOFS" || gfp === "GFP_NOIO";
}

/** The lockdep classes the dma-fence contract primes, named as lockdep prints them. */
export const LOCK_CLASS = {
  MMAP_LOCK: "mmap_lock",
  DMA_RESV: "reservation_ww_class_mutex",
  FS_RECLAIM: "fs_reclaim",
  I_MMAP: "i_mmap_rwsem",
  MMU_NOTIFIER: "mmu_notifier_invalidate_range_start",
  DMA_FENCE_MAP: "dma_fence_map",
} as const;

/** What went wrong, as data (FENCE-R08 a–d, plus tyrsim's unbounded-wait rule). */
export interface SignallingViolation {
  readonly kind: "reclaim-in-signalling-section" | "dma-resv-in-signalling-section" | "unbounded-wait-in-signalling-section" | "lock-order-inversion";
  readonly thread: string;
  /** Caller-supplied location, e.g. `"panthor_job_done: kmalloc"`. */
  readonly site: string | undefined;
  /** Lock class being acquired (the fence map for waits). */
  readonly lock: string;
  /** The circular dependency, held lock first, ending where it started; empty for the wait rule. */
  readonly chain: readonly string[];
  readonly message: string;
}

/** `dma_fence_begin_signalling`'s cookie: true when the call was a no-op (nested or atomic). */
export type SignallingCookie = boolean;

interface ThreadState {
  held: string[];
  inSection: boolean;
}

/**
 * The checker: one per simulated kernel. Drivers annotate sections and report allocations, lock
 * acquisitions and waits per thread; violations come back from each call and accumulate in
 * {@link SignallingChecker.violations}.
 *
 * @example
 * const c = new SignallingChecker();
 * const cookie = c.beginSignalling("irq-thread");
 * c.allocate("irq-thread", "GFP_KERNEL", "job_done: kmalloc"); // → reclaim-in-signalling-section
 * c.endSignalling("irq-thread", cookie);
 */
export class SignallingChecker {
  private readonly edges = new Map<string, Set<string>>();
  private readonly threads = new Map<string, ThreadState>();
  readonly violations: SignallingViolation[] = [];

  /** `primed` (default true) installs `dma_resv_lockdep()`'s order, so one run is enough to catch a bug. */
  constructor(options: { primed?: boolean } = {}) {
    if (options.primed ?? true) {
      const order = [LOCK_CLASS.MMAP_LOCK, LOCK_CLASS.DMA_RESV, LOCK_CLASS.FS_RECLAIM, LOCK_CLASS.I_MMAP, LOCK_CLASS.MMU_NOTIFIER, LOCK_CLASS.DMA_FENCE_MAP];
      for (let i = 0; i + 1 < order.length; i++) this.addEdge(order[i]!, order[i + 1]!);
    }
  }

  /** `dma_fence_begin_signalling`: a no-op returning true when nested or in atomic context (FENCE-R03). */
  beginSignalling(thread: string, options: { atomic?: boolean } = {}): SignallingCookie {
    const t = this.thread(thread);
    if (options.atomic || t.inSection) return true;
    t.inSection = true;
    t.held.push(LOCK_CLASS.DMA_FENCE_MAP);
    return false;
  }

  /** `dma_fence_end_signalling(cookie)`: `end(true)` is a no-op. */
  endSignalling(thread: string, cookie: SignallingCookie): void {
    if (cookie) return;
    const t = this.thread(thread);
    t.inSection = false;
    this.drop(t, LOCK_CLASS.DMA_FENCE_MAP);
  }

  /** Is `thread` inside an annotated section? */
  inSignallingSection(thread: string): boolean {
    return this.thread(thread).inSection;
  }

  /** Acquire lock class `lock` (`lock_acquire`): records "taken under" edges, reports cycles. */
  lock(thread: string, lock: string, site?: string): SignallingViolation[] {
    const t = this.thread(thread);
    const found: SignallingViolation[] = [];
    for (const held of new Set(t.held)) {
      if (held === lock) continue;
      const v = this.depend(thread, held, lock, site);
      if (v) found.push(v);
    }
    t.held.push(lock);
    return found;
  }

  /** Release lock class `lock` (`lock_release`). */
  unlock(thread: string, lock: string): void {
    this.drop(this.thread(thread), lock);
  }

  /**
   * An allocation (`might_alloc`): with a reclaiming `gfp`, fs_reclaim is taken and released, so a
   * section or a lock held across it gains the edge to reclaim (FENCE-R05, R08b).
   */
  allocate(thread: string, gfp: Gfp, site?: string): SignallingViolation[] {
    if (!gfpMayReclaim(gfp)) return [];
    const found = this.lock(thread, LOCK_CLASS.FS_RECLAIM, site);
    this.unlock(thread, LOCK_CLASS.FS_RECLAIM);
    return found;
  }

  /**
   * A fence wait (`__dma_fence_might_wait`): drops the section's read hold, write-acquires the fence
   * map (so every held lock gains an edge to it, FENCE-R08a/d), then restores the hold. Unless
   * `bounded`, a wait inside a section is reported as well (tyrsim's rule).
   */
  waitFence(thread: string, options: { site?: string; bounded?: boolean } = {}): SignallingViolation[] {
    const t = this.thread(thread);
    const found: SignallingViolation[] = [];
    if (t.inSection && !options.bounded) {
      found.push(this.record({
        kind: "unbounded-wait-in-signalling-section", thread, site: options.site, lock: LOCK_CLASS.DMA_FENCE_MAP, chain: [],
        message: `${thread}: unbounded fence wait inside a fence-signalling section${options.site ? ` at ${options.site}` : ""}`,
      }));
    }
    if (t.inSection) this.drop(t, LOCK_CLASS.DMA_FENCE_MAP);
    found.push(...this.lock(thread, LOCK_CLASS.DMA_FENCE_MAP, options.site));
    this.unlock(thread, LOCK_CLASS.DMA_FENCE_MAP);
    if (t.inSection) t.held.push(LOCK_CLASS.DMA_FENCE_MAP);
    return found;
  }

  /** Locks `thread` currently holds, oldest first (the fence map while in a section). */
  held(thread: string): readonly string[] {
    return [...this.thread(thread).held];
  }

  private thread(name: string): ThreadState {
    let t = this.threads.get(name);
    if (!t) this.threads.set(name, (t = { held: [], inSection: false }));
    return t;
  }

  private drop(t: ThreadState, lock: string): void {
    const i = t.held.lastIndexOf(lock);
    if (i >= 0) t.held.splice(i, 1);
  }

  private addEdge(from: string, to: string): void {
    let s = this.edges.get(from);
    if (!s) this.edges.set(from, (s = new Set()));
    s.add(to);
  }

  /** Path `from` ⇝ `to` in the dependency graph (breadth-first, deterministic by insertion order). */
  private path(from: string, to: string): string[] | undefined {
    const parent = new Map<string, string>([[from, from]]);
    const queue = [from];
    for (let i = 0; i < queue.length; i++) {
      const at = queue[i]!;
      if (at === to) {
        const out = [at];
        for (let p = at; p !== from; ) out.unshift((p = parent.get(p)!));
        return out;
      }
      for (const next of this.edges.get(at) ?? []) if (!parent.has(next)) { parent.set(next, at); queue.push(next); }
    }
    return undefined;
  }

  /** Add `held → lock` unless it closes a cycle, which is reported instead. */
  private depend(thread: string, held: string, lock: string, site: string | undefined): SignallingViolation | undefined {
    // A dependency already recorded needs no search: edges are only added when they close no cycle,
    // so the graph stays acyclic and `lock ⇝ held` cannot exist (lockdep's cache of checked chains).
    if (this.edges.get(held)?.has(lock)) return undefined;
    const back = this.path(lock, held);
    if (!back) { this.addEdge(held, lock); return undefined; }
    const chain = [held, ...back];
    // Inside a section: taking reclaim directly, or a lock some thread holds across reclaim, is the
    // reclaim case (FENCE-R05, R08b/d); dma_resv is R04/R08c; anything else is a plain inversion.
    const kind: SignallingViolation["kind"] =
      held !== LOCK_CLASS.DMA_FENCE_MAP ? "lock-order-inversion"
        : lock === LOCK_CLASS.DMA_RESV ? "dma-resv-in-signalling-section"
          : back.includes(LOCK_CLASS.FS_RECLAIM) ? "reclaim-in-signalling-section" : "lock-order-inversion";
    return this.record({
      kind, thread, site, lock, chain,
      message: `${thread}: possible circular locking dependency taking ${lock} while holding ${held}${site ? ` at ${site}` : ""}: ${chain.join(" → ")}`,
    });
  }

  private record(v: SignallingViolation): SignallingViolation {
    this.violations.push(v);
    return v;
  }
}
