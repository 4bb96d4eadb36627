import { GLB, GLB_TIMER } from "./interfaceBits.ts";
import { acknowledge, requestsPending } from "./reqAck.ts";

/**
 * What the firmware does with the global interface's request word when the host rings the
 * global doorbell (panthor.md §3.3–3.4): the pure decision, for the firmware actor to apply.
 *
 * Modelled requests, each acknowledged by making its GLB_ACK bit equal to GLB_REQ:
 * - toggles: CFG_PROGRESS_TIMER, CFG_ALLOC_EN (core_en_mask), CFG_POWEROFF_TIMER, PING,
 *   FWCFG_UPDATE;
 * - config bits copied as written: HALT (acted on at its 0→1 edge, as panthor's post-reset
 *   clear of the bit assumes), IDLE_EN, COUNTER_EN (plain config since driver 1.6).
 * Left pending and reported: PROTM_ENTER, PERFCNT_EN, PERFCNT_SAMPLE, SLEEP (not modelled).
 */

/** Requests the model acknowledges. */
export const GLB_SUPPORTED = (GLB.HALT | GLB.CFG_PROGRESS_TIMER | GLB.CFG_ALLOC_EN | GLB.CFG_POWEROFF_TIMER | GLB.COUNTER_EN | GLB.PING |
  GLB.FWCFG_UPDATE | GLB.IDLE_EN) >>> 0;

/** Request bits the host may write: GLB_REQ_MASK plus SLEEP (bit 12). */
export const GLB_REQUEST_BITS = (GLB.REQ_MASK | GLB.SLEEP) >>> 0;

/** Names of the GLB request bits, for facts and logs. */
const REQUEST_NAMES: readonly (keyof typeof GLB)[] = [
  "HALT", "CFG_PROGRESS_TIMER", "CFG_ALLOC_EN", "CFG_POWEROFF_TIMER", "PROTM_ENTER", "PERFCNT_EN", "PERFCNT_SAMPLE", "COUNTER_EN",
  "PING", "FWCFG_UPDATE", "IDLE_EN", "SLEEP",
];

/** The names of the request bits set in `bits`, in bit order. */
export function glbRequestNames(bits: number): string[] {
  return REQUEST_NAMES.filter((n) => (bits & GLB[n]) !== 0);
}

/** The firmware's decision for one scan of GLB_REQ. */
export interface GlbPlan {
  /** The new GLB_ACK. */
  readonly ack: number;
  /** Request bits acknowledged now. */
  readonly acked: number;
  /** Pending requests left unanswered because they are not modelled. */
  readonly unsupported: number;
  /** A PING left unanswered on purpose (injected fault). */
  readonly pingIgnored: boolean;
  /** GLB_HALT went 0 → 1: halt the MCU once acknowledged. */
  readonly halt: boolean;
  /** Raise JOB_INT GLOBAL_IF: an acknowledged bit is in `ack_irq_mask`. */
  readonly irq: boolean;
}

/**
 * Decide the acknowledgements for GLB_REQ `req` against the current GLB_ACK `ack`.
 *
 * @example planGlbAcks(GLB.PING, 0, GLB.PING, { ignorePing: false }) // { ack: GLB.PING, acked: GLB.PING, irq: true, … }
 */
export function planGlbAcks(req: number, ack: number, ackIrqMask: number, opts: { readonly ignorePing: boolean }): GlbPlan {
  const pending = requestsPending(req, ack, GLB_REQUEST_BITS);
  const pingIgnored = opts.ignorePing && (pending & GLB.PING) !== 0;
  const acked = (pending & GLB_SUPPORTED & ~(pingIgnored ? GLB.PING : 0)) >>> 0;
  return {
    ack: acknowledge(req, ack, acked),
    acked,
    unsupported: (pending & ~GLB_SUPPORTED) >>> 0,
    pingIgnored,
    halt: (acked & GLB.HALT) !== 0 && (req & GLB.HALT) !== 0,
    irq: (acked & ackIrqMask) !== 0,
  };
}

/**
 * Virtual ns of a GLB timer word (`idle_timer`, `poweroff_timer`): the low 31 bits count units
 * of 1024 ticks of the SoC system counter, or of the GPU clock with
 * GLB_TIMER_SOURCE_GPU_COUNTER — the inverse of panthor's `panthor_fw_conv_timeout()`.
 */
export function glbTimerNs(value: number, clocks: { readonly timestampHz: number; readonly gpuHz: number }): number {
  const units = value & GLB_TIMER.VAL_MASK;
  const hz = value >= GLB_TIMER.SOURCE_GPU_COUNTER ? clocks.gpuHz : clocks.timestampHz;
  return Math.round((units * 1024 * 1e9) / hz);
}

/** Virtual ns of GLB `progress_timer`: units of 1024 GPU cycles (panthor's PROGRESS_TIMEOUT_CYCLES >> 10). */
export function progressTimerNs(value: number, gpuHz: number): number {
  return Math.round(((value >>> 0) * 1024 * 1e9) / gpuHz);
}
