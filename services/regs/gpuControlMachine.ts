import { assign, setup } from "xstate";

/** Timing of the GPU_CMD operations, from the model (`power.soft_reset_ns`, `power.cache_flush_ns`). */
export interface GpuControlTiming {
  readonly softResetNs: number;
  readonly cacheFlushNs: number;
}

/** What the GPU_CMD machine needs from the register-file actor. */
export interface GpuControlDeps {
  /** The reset finished: reset the register state and tell every block. */
  readonly resetDone: (kind: "soft" | "hard") => void;
  /** The cache flush finished: raise CLEAN_CACHES_COMPLETED. */
  readonly flushDone: () => void;
  /** A command (the GPU_CMD value written) arrived while another was running and is dropped. */
  readonly busy: (value: number) => void;
}

/** A GPU_CMD write the machine acts on, with the value written. */
type GpuControlEvent =
  | { type: "RESET"; kind: "soft" | "hard"; value: number }
  | { type: "FLUSH_CACHES"; value: number }
  /** A SOFT_RESET that never completes (the `reset-stuck` fault). */
  | { type: "STUCK_RESET"; value: number };

/**
 * The long-running GPU_CMD operations of the GPU_CONTROL block: `ready`, `resetting` (after a
 * SOFT_RESET or HARD_RESET write, for the model's soft-reset time; then RESET_COMPLETED rises in
 * GPU_INT_RAWSTAT — panthor polls or waits for it, `panthor_gpu_soft_reset()`), `flushing` (after
 * FLUSH_CACHES, for the model's cache-flush time; then CLEAN_CACHES_COMPLETED rises,
 * `panthor_gpu_flush_caches()`).
 *
 * An injected `reset-stuck` fault turns one SOFT_RESET into `stuck`: RESET_COMPLETED never rises
 * and every command is dropped as busy, except a HARD_RESET, which resets as usual (the fallback
 * a driver has when a soft reset times out).
 *
 * Simplified: a hard reset behaves as a soft reset; a reset during a flush abandons the flush;
 * any command during a reset, and a flush during a flush, is dropped and reported (panthor
 * serialises them with `pending_reqs`, so only a buggy driver sees this).
 */
export function createGpuControlMachine(timing: GpuControlTiming, deps: GpuControlDeps) {
  return setup({
    types: {} as { context: { kind: "soft" | "hard" }; events: GpuControlEvent },
    actions: {
      latchKind: assign(({ event }) => ({ kind: event.type === "RESET" ? event.kind : "soft" })),
      resetDone: ({ context }) => deps.resetDone(context.kind),
      flushDone: () => deps.flushDone(),
      busy: ({ event }) => deps.busy(event.value),
    },
    delays: {
      SOFT_RESET: () => timing.softResetNs / 1_000_000,
      CACHE_FLUSH: () => timing.cacheFlushNs / 1_000_000,
    },
  }).createMachine({
    id: "gpu-control",
    context: { kind: "soft" },
    initial: "ready",
    states: {
      ready: {
        on: { RESET: { target: "resetting", actions: "latchKind" }, FLUSH_CACHES: "flushing", STUCK_RESET: "stuck" },
      },
      resetting: {
        on: { RESET: { actions: "busy" }, FLUSH_CACHES: { actions: "busy" }, STUCK_RESET: { actions: "busy" } },
        after: { SOFT_RESET: { target: "ready", actions: "resetDone" } },
      },
      flushing: {
        on: { RESET: { target: "resetting", actions: "latchKind" }, FLUSH_CACHES: { actions: "busy" }, STUCK_RESET: "stuck" },
        after: { CACHE_FLUSH: { target: "ready", actions: "flushDone" } },
      },
      stuck: {
        on: {
          RESET: [{ guard: ({ event }) => event.kind === "hard", target: "resetting", actions: "latchKind" }, { actions: "busy" }],
          FLUSH_CACHES: { actions: "busy" },
          STUCK_RESET: { actions: "busy" },
        },
      },
    },
  });
}
