/**
 * dma-fence as data and functions: a one-shot completion object identified by `(context, seqno)`
 * that moves once from unsignalled to signalled, carries an optional error, and runs the callbacks
 * registered before the signal exactly once, in registration order (kernel-tests.md §3, §3.1).
 *
 * Mirrors `drivers/dma-buf/dma-fence.c`: `dma_fence_context_alloc`, `dma_fence_init`/`init64`,
 * `dma_fence_signal_timestamp`, `dma_fence_check_and_signal`, `dma_fence_add_callback`,
 * `dma_fence_remove_callback`, `dma_fence_get_status`, `dma_fence_set_error`,
 * `dma_fence_enable_sw_signaling`, `dma_fence_is_signaled`, `dma_fence_get_stub`,
 * `dma_fence_release`, `dma_fence_set_deadline`.
 *
 * Simplified: no locks, RCU or reference counts (the simulator is single-threaded; a fence lives as
 * long as something holds the object); time is virtual ns passed in by the caller; kernel WARNs are
 * recorded as {@link FenceWarning} records on the registry instead of splats; callbacks run
 * synchronously inside {@link signal}, as they do under the fence lock.
 */
import { ERRNO } from "../../shared/gpu/errno.ts";
import type { DmaFenceChain } from "./chain.ts";

/** Registry-wide identity of a fence, for events and logs (not part of the kernel object). */
export type FenceId = number;

/**
 * The optional driver hooks of `struct dma_fence_ops` tyrsim models. `nowNs` is the virtual time
 * of the call, for a hook that signals.
 */
export interface FenceOps {
  /** `enable_signaling`: false means "already done", and the fence is signalled at once (FENCE-C02). */
  enableSignaling?(fence: DmaFence, nowNs: number): boolean;
  /** `signaled`: polled by {@link isSignaled}; true signals the fence as a side effect (FENCE-C08). */
  signaled?(fence: DmaFence): boolean;
  /** `set_deadline`: a waiter would like the fence signalled by `deadlineNs` (FENCE-C12). */
  setDeadline?(fence: DmaFence, deadlineNs: number): void;
}

/** A callback slot, as the caller-owned `struct dma_fence_cb`; identity is what remove matches. */
export interface FenceCallback {
  readonly func: (fence: DmaFence) => void;
}

/** A kernel WARN, kept as data: which rule was broken, on which fence. */
export interface FenceWarning {
  readonly kind:
    | "set-error-after-signal"
    | "error-out-of-range"
    | "context-mismatch"
    | "chain-contains-chain"
    | "release-unsignalled-with-callbacks";
  readonly fence: FenceId;
  readonly message: string;
}

/**
 * `struct dma_fence`. Identity fields are readonly; the state fields change only through the
 * functions of this module.
 */
export interface DmaFence {
  readonly id: FenceId;
  readonly context: number;
  /** Stored unsigned 64-bit; compared with 32-bit wrap unless {@link seqno64} (see seqno.ts). */
  readonly seqno: bigint;
  /** Initialised with `dma_fence_init64` (chains always are): plain 64-bit seqno comparison. */
  readonly seqno64: boolean;
  readonly driverName: string;
  readonly timelineName: string;
  readonly registry: FenceRegistry;
  /** Cleared on signal, as the 2025–26 lifetime rework does (FENCE-02). */
  ops: FenceOps | undefined;
  signalled: boolean;
  /** 0, or a negative errno set before the signal. */
  error: number;
  /** Virtual time of the signal (`timestamp`), once signalled. */
  timestampNs: number | undefined;
  /** `DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT`. */
  signallingEnabled: boolean;
  /** Soonest deadline asked for while unsignalled. */
  deadlineNs: number | undefined;
  callbacks: FenceCallback[];
  /**
   * The chain node this fence is the base of (`to_dma_fence_chain`), set once by `chainInit`;
   * undefined for any other fence. A field rather than a side table because timeline waits look it
   * up at every step of a chain walk.
   */
  chain: DmaFenceChain | undefined;
}

/** Options for {@link FenceRegistry.create}. */
export interface FenceInit {
  readonly context: number;
  readonly seqno: bigint | number;
  /** `dma_fence_init64` instead of `dma_fence_init`. */
  readonly seqno64?: boolean;
  readonly ops?: FenceOps;
  readonly driverName?: string;
  readonly timelineName?: string;
}

/**
 * The global state dma-fence keeps: the context counter (`dma_fence_context_counter`, starting at 1
 * so context 0 stays reserved for the stub, FENCE-C09), the stub fence, and the recorded WARNs.
 * One registry per simulated kernel.
 */
export class FenceRegistry {
  private nextContext = 1;
  private nextId = 1;
  private stubFence: DmaFence | undefined;
  /** Latest virtual time any fence was signalled at; used when an ops hook signals without a time. */
  latestNs = 0;
  readonly warnings: FenceWarning[] = [];

  /** `dma_fence_context_alloc(n)`: the first of `n` consecutive new context ids. */
  contextAlloc(n = 1): number {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`contextAlloc: n must be a positive integer, got ${n}`);
    const first = this.nextContext;
    this.nextContext += n;
    return first;
  }

  /** `dma_fence_init` / `dma_fence_init64`: a new unsignalled fence. */
  create(init: FenceInit): DmaFence {
    return {
      id: this.nextId++,
      context: init.context,
      seqno: toU64(init.seqno),
      seqno64: init.seqno64 ?? false,
      driverName: init.driverName ?? "tyrsim",
      timelineName: init.timelineName ?? `ctx${init.context}`,
      registry: this,
      ops: init.ops,
      signalled: false,
      error: 0,
      timestampNs: undefined,
      signallingEnabled: false,
      deadlineNs: undefined,
      callbacks: [],
      chain: undefined,
    };
  }

  /** `dma_fence_get_stub()`: one shared fence on context 0, seqno 0, signalled at time 0. */
  stub(): DmaFence {
    if (!this.stubFence) {
      this.stubFence = this.create({ context: 0, seqno: 0, driverName: "stub", timelineName: "stub" });
      signal(this.stubFence, 0);
    }
    return this.stubFence;
  }

  /** Record a WARN (used by this module, seqno.ts and chain.ts). */
  warn(kind: FenceWarning["kind"], fence: DmaFence, message: string): FenceWarning {
    const w: FenceWarning = { kind, fence: fence.id, message: `fence ${fence.id} (${fence.context}:${fence.seqno}): ${message}` };
    this.warnings.push(w);
    return w;
  }
}

/**
 * `seqno` as the kernel's u64. A number that is a non-negative safe integer is already in range, so
 * it skips the wrap (every JobQueue fence takes this path); anything else wraps as before.
 */
function toU64(seqno: bigint | number): bigint {
  return typeof seqno === "number" && seqno >= 0 && Number.isSafeInteger(seqno) ? BigInt(seqno) : BigInt.asUintN(64, BigInt(seqno));
}

/** The kernel's `MAX_ERRNO`: errors must lie in [-4095, -1]. */
export const MAX_ERRNO = 4095;

/**
 * `dma_fence_set_error`: attach an error to be reported once the fence signals. WARNs (recorded,
 * value still stored, as the kernel does) if the fence is already signalled (FENCE-E02) or the
 * value is not in [-4095, -1] (FENCE-E03).
 */
export function setError(fence: DmaFence, error: number): FenceWarning | undefined {
  let warning: FenceWarning | undefined;
  if (fence.signalled) warning = fence.registry.warn("set-error-after-signal", fence, `set_error(${error}) after signal`);
  else if (!(error < 0 && error >= -MAX_ERRNO)) warning = fence.registry.warn("error-out-of-range", fence, `set_error(${error}) outside [-4095, -1]`);
  fence.error = error;
  return warning;
}

/**
 * `dma_fence_check_and_signal` (with `dma_fence_signal_timestamp`'s time): returns true if the fence
 * was already signalled (nothing happens), else signals it at `timeNs`: sets the flag and timestamp,
 * clears the ops, then runs every registered callback once, in registration order.
 * An `error` is attached first, as `dma_fence_set_error` before the signal must be (FENCE-E01).
 */
export function checkAndSignal(fence: DmaFence, timeNs: number, error?: number): boolean {
  if (fence.signalled) return true;
  if (error !== undefined && error !== 0) setError(fence, error);
  fence.signalled = true;
  fence.timestampNs = timeNs;
  fence.ops = undefined;
  if (timeNs > fence.registry.latestNs) fence.registry.latestNs = timeNs;
  const callbacks = fence.callbacks;
  fence.callbacks = [];
  for (const cb of callbacks) cb.func(fence);
  return false;
}

/**
 * `dma_fence_signal` (classic form): 0 on the first call, -EINVAL on a later one or on a missing
 * fence (FENCE-C01). A second signal never changes the fence, its error or its timestamp.
 */
export function signal(fence: DmaFence | null | undefined, timeNs: number, error?: number): number {
  if (!fence) return -ERRNO.EINVAL;
  return checkAndSignal(fence, timeNs, error) ? -ERRNO.EINVAL : 0;
}

/** Make a callback slot (the caller-owned `struct dma_fence_cb`). */
export function fenceCallback(func: (fence: DmaFence) => void): FenceCallback {
  return { func };
}

/**
 * `dma_fence_enable_sw_signaling`: calls the `enable_signaling` hook once; if it answers false the
 * fence is signalled at once (at `nowNs`, or the registry's latest time).
 */
export function enableSwSignaling(fence: DmaFence, nowNs?: number): void {
  if (fence.signalled || fence.signallingEnabled) return;
  fence.signallingEnabled = true;
  const hook = fence.ops?.enableSignaling;
  const at = nowNs ?? fence.registry.latestNs;
  if (hook && !hook(fence, at)) signal(fence, at);
}

/**
 * `dma_fence_add_callback`: 0 and the callback will run at signal time; -ENOENT if the fence is
 * already signalled (or `enable_signaling` signals it now), the callback is then never called;
 * -EINVAL for a missing fence or callback (FENCE-C02, C03).
 */
export function addCallback(fence: DmaFence | null | undefined, cb: FenceCallback | null | undefined, nowNs?: number): number {
  if (!fence || !cb) return -ERRNO.EINVAL;
  if (fence.signalled) return -ERRNO.ENOENT;
  enableSwSignaling(fence, nowNs);
  if (fence.signalled) return -ERRNO.ENOENT;
  fence.callbacks.push(cb);
  return 0;
}

/** `dma_fence_remove_callback`: true if `cb` was pending (it will not run), false otherwise (FENCE-C04). */
export function removeCallback(fence: DmaFence, cb: FenceCallback): boolean {
  const i = fence.callbacks.indexOf(cb);
  if (i < 0) return false;
  fence.callbacks.splice(i, 1);
  return true;
}

/**
 * `dma_fence_is_signaled`: the flag, or the `signaled` hook, which then signals the fence as a side
 * effect at `nowNs` (FENCE-C08).
 */
export function isSignaled(fence: DmaFence, nowNs?: number): boolean {
  if (fence.signalled) return true;
  if (fence.ops?.signaled?.(fence)) {
    signal(fence, nowNs ?? fence.registry.latestNs);
    return true;
  }
  return false;
}

/** `dma_fence_get_status`: 0 pending, 1 signalled without error, the negative error otherwise (FENCE-C05). */
export function getStatus(fence: DmaFence): number {
  if (!isSignaled(fence)) return 0;
  return fence.error < 0 ? fence.error : 1;
}

/** `dma_fence_driver_name` / `timeline_name`: placeholders once signalled (FENCE-C10). */
export function fenceNames(fence: DmaFence): { driver: string; timeline: string } {
  return fence.signalled ? { driver: "detached-driver", timeline: "signaled-timeline" } : { driver: fence.driverName, timeline: fence.timelineName };
}

/**
 * `dma_fence_set_deadline`: forwarded to the hook only while unsignalled; the soonest is kept (FENCE-C12).
 */
export function setDeadline(fence: DmaFence, deadlineNs: number): void {
  if (fence.signalled) return;
  if (fence.deadlineNs === undefined || deadlineNs < fence.deadlineNs) fence.deadlineNs = deadlineNs;
  fence.ops?.setDeadline?.(fence, deadlineNs);
}

/**
 * `dma_fence_release` of the last reference: an unsignalled fence that still has callbacks is a bug
 * (WARN); its error is forced to -EDEADLK and it is signalled so waiters and chains are released
 * (FENCE-C11). Without reference counts, the owner calls this when it drops the fence.
 */
export function release(fence: DmaFence, nowNs: number): FenceWarning | undefined {
  if (fence.signalled || fence.callbacks.length === 0) return undefined;
  const w = fence.registry.warn("release-unsignalled-with-callbacks", fence, "released while unsignalled with callbacks pending");
  fence.error = -ERRNO.EDEADLK;
  signal(fence, nowNs);
  return w;
}
