import type { ExecContext, LockMode } from "./ledEvents.ts";

/** Who holds the spinlock. */
export interface LockHolder {
  readonly context: ExecContext;
  readonly fn: string;
  /** The process (0 for an IRQ handler: it runs on behalf of nobody). */
  readonly pid: number;
  readonly sinceNs: number;
  /** Taken with spin_lock_irqsave(): unlock restores (re-enables) local interrupts. */
  readonly irqsave: boolean;
}

/**
 * The one CPU of the tutorial and the spinlock on it: who holds the lock, whether local
 * interrupts are on, an interrupt pending at the interrupt controller, and whether the CPU is
 * stuck spinning. A spinlock on a uniprocessor with preemption off is exactly "interrupts decide":
 * the only thing that can run while process context holds the lock is an interrupt handler.
 */
export interface CpuLockState {
  readonly holder?: LockHolder;
  readonly localIrqsEnabled: boolean;
  /** An interrupt that arrived while local interrupts were off (time it arrived). */
  readonly pendingIrqSinceNs?: number;
  /** The CPU spins forever: the hard IRQ handler waits for a lock its own CPU's process context holds. */
  readonly stuck?: { readonly waiter: string; readonly holder: LockHolder; readonly sinceNs: number };
}

/** The CPU idle in process context: lock free, interrupts on. */
export const CPU_IDLE: CpuLockState = { localIrqsEnabled: true };

/** What the CPU does with an interrupt that arrives now. */
export type IrqDecision = "run" | "defer" | "lost";

/**
 * An interrupt arrives (`generic_handle_irq()` is entered only if the CPU has interrupts on):
 * run the handler at once, keep it pending until `local_irq_restore()` (defer), or — the CPU is
 * stuck spinning with interrupts off — never (lost, from this CPU's point of view).
 */
export function decideIrq(cpu: CpuLockState): IrqDecision {
  if (cpu.stuck !== undefined) return "lost";
  return cpu.localIrqsEnabled ? "run" : "defer";
}

/** Remember an interrupt that must wait for interrupts to come back on (first arrival kept). */
export function deferIrq(cpu: CpuLockState, nowNs: number): CpuLockState {
  return cpu.pendingIrqSinceNs !== undefined ? cpu : { ...cpu, pendingIrqSinceNs: nowNs };
}

/**
 * Take the lock. Process context: `spin_lock_irqsave()` turns local interrupts off first,
 * `spin_lock()` leaves them on. Hard IRQ context (interrupts already off): if the interrupted
 * process context holds the lock, the handler spins on a lock that can never be released — the
 * CPU is stuck. (Two process-context holders cannot meet here: a spinlock holder is never
 * preempted, so the driver runs the next write() only after the previous one unlocked.)
 */
export function acquire(cpu: CpuLockState, who: Omit<LockHolder, "irqsave">, mode: LockMode): { cpu: CpuLockState; acquired: boolean } {
  if (cpu.holder !== undefined) {
    return { cpu: { ...cpu, localIrqsEnabled: false, stuck: { waiter: who.fn, holder: cpu.holder, sinceNs: who.sinceNs } }, acquired: false };
  }
  const irqsave = who.context === "process" && mode === "irqsave";
  const localIrqsEnabled = who.context === "hardirq" ? false : !irqsave;
  return { cpu: { ...cpu, holder: { ...who, irqsave }, localIrqsEnabled }, acquired: true };
}

/**
 * Release the lock. `spin_unlock_irqrestore()` turns interrupts back on, and an interrupt that
 * waited runs now (`deliver`, with the time it arrived). A hard IRQ handler's unlock leaves
 * interrupts off until the handler returns (`irqExit`).
 */
export function release(cpu: CpuLockState): { cpu: CpuLockState; irqsRestored: boolean; deliverSinceNs?: number } {
  const h = cpu.holder;
  if (h === undefined || h.context === "hardirq") return { cpu: { ...cpu, holder: undefined }, irqsRestored: false };
  const next: CpuLockState = { localIrqsEnabled: true };
  return cpu.pendingIrqSinceNs !== undefined
    ? { cpu: next, irqsRestored: h.irqsave, deliverSinceNs: cpu.pendingIrqSinceNs }
    : { cpu: next, irqsRestored: h.irqsave };
}

/** The hard IRQ handler returned: interrupts on again (the process context it interrupted resumes). */
export function irqExit(cpu: CpuLockState): CpuLockState {
  return cpu.stuck !== undefined ? cpu : { ...cpu, localIrqsEnabled: cpu.holder === undefined ? true : !cpu.holder.irqsave };
}
