import type { ExecContext, LockUsage } from "./ledEvents.ts";

/** Where a usage of the lock was first seen (lockdep keeps a stack trace; we keep function, context and time). */
export interface UsageSite {
  readonly fn: string;
  readonly context: ExecContext;
  readonly atNs: number;
}

/**
 * lockdep's view of one lock class: the usage states registered so far (each with the first site
 * that registered it) and `debugLocks`, which goes false after the first report — lockdep turns
 * itself off (`debug_locks_off()`) so one bug is reported once per boot.
 */
export interface LockdepState {
  readonly usage: Readonly<Partial<Record<LockUsage, UsageSite>>>;
  readonly debugLocks: boolean;
}

/** A lock class nobody took yet, with lockdep on. */
export const LOCKDEP_INITIAL: LockdepState = { usage: {}, debugLocks: true };

/** An "inconsistent lock state" report, as `print_usage_bug()` prints it. */
export interface LockdepReport {
  readonly from: LockUsage;
  readonly to: LockUsage;
  readonly registeredBy: UsageSite;
  readonly takenBy: { readonly fn: string; readonly context: ExecContext };
  readonly text: string[];
}

/** The usage an acquisition registers: inside a hard IRQ, or in process context with hard IRQs on (none if they are off). */
export function usageOf(context: ExecContext, hardirqsEnabled: boolean): LockUsage | undefined {
  if (context === "hardirq") return "IN-HARDIRQ-W";
  return hardirqsEnabled ? "HARDIRQ-ON-W" : undefined;
}

const OPPOSITE: Record<LockUsage, LockUsage> = { "HARDIRQ-ON-W": "IN-HARDIRQ-W", "IN-HARDIRQ-W": "HARDIRQ-ON-W" };

/** The kernel's text for a report (`print_usage_bug()` and `print_irq_lock_scenario()`), abridged to what the tutorial needs. */
function reportText(lock: string, from: LockUsage, to: LockUsage, site: UsageSite, fn: string, context: ExecContext, cpu: number): string[] {
  const flags = context === "hardirq" ? "[HC1[1]:SC0[0]:HE0:SE1]" : "[HC0[0]:SC0[0]:HE1:SE1]";
  const task = context === "hardirq" ? `swapper/${cpu}/0` : "led-writer";
  return [
    "================================",
    "WARNING: inconsistent lock state",
    "--------------------------------",
    `inconsistent {${from}} -> {${to}} usage.`,
    `${task} ${flags} takes:`,
    `  (&${lock}){?.+.}-{2:2}, at: ${fn}`,
    `{${from}} state was registered at:`,
    `  ${site.fn} (${site.context}, t=${site.atNs} ns)`,
    "other info that might help us debug this:",
    " Possible unsafe locking scenario:",
    `       CPU${cpu}`,
    "       ----",
    `  lock(&${lock});`,
    "  <Interrupt>",
    `    lock(&${lock});`,
    " *** DEADLOCK ***",
  ];
}

/**
 * `lock_acquire()`'s usage check (`mark_lock()` → `mark_lock_irq()` → `valid_state()`): register
 * the usage this acquisition makes and report if the opposite usage was registered before — a
 * lock taken with hard IRQs on (HARDIRQ-ON-W) can be interrupted by a handler that takes it too
 * (IN-HARDIRQ-W), which deadlocks. Like lockdep, this reports the *possibility*: the first time
 * both usages have been seen, whether or not the timing collided this time.
 *
 * Simplified: one lock class, hard IRQs only (no softirq states, no read locks, no dependency
 * chains between classes).
 */
export function lockdepAcquire(state: LockdepState, lock: string, site: UsageSite, hardirqsEnabled: boolean, cpu: number): { state: LockdepState; report?: LockdepReport } {
  const usage = usageOf(site.context, hardirqsEnabled);
  if (usage === undefined || state.usage[usage] !== undefined) return { state };
  const registered = { ...state.usage, [usage]: site };
  const conflict = state.usage[OPPOSITE[usage]];
  if (conflict === undefined || !state.debugLocks) return { state: { ...state, usage: registered } };
  const from = OPPOSITE[usage];
  return {
    state: { usage: registered, debugLocks: false },
    report: { from, to: usage, registeredBy: conflict, takenBy: { fn: site.fn, context: site.context }, text: reportText(lock, from, usage, conflict, site.fn, site.context, cpu) },
  };
}
