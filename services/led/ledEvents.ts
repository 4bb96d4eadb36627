import { z } from "zod";
import { defineEvent } from "../../shared/events/registry.ts";
import { GPIO_REG_NAMES } from "./gpioRegs.ts";

/**
 * How `led_write()` takes the lock it shares with the IRQ handler: `irqsave` is
 * `spin_lock_irqsave()` (local interrupts off while held — correct), `plain` is `spin_lock()`
 * (interrupts stay on — the bug lockdep reports, and a self-deadlock when the IRQ lands inside).
 */
export const LockModeSchema = z.enum(["irqsave", "plain"]);
/** A lock mode. */
export type LockMode = z.infer<typeof LockModeSchema>;

/** Who runs on the CPU when a lock is taken: a process in a syscall, or a hard interrupt handler. */
export const ExecContextSchema = z.enum(["process", "hardirq"]);
/** An execution context. */
export type ExecContext = z.infer<typeof ExecContextSchema>;

/** lockdep's usage states of a lock class that matter here (`kernel/locking/lockdep_states.h`). */
export const LockUsageSchema = z.enum(["HARDIRQ-ON-W", "IN-HARDIRQ-W"]);
/** A lock usage state. */
export type LockUsage = z.infer<typeof LockUsageSchema>;

/** The probe steps of the LED driver, in the order it runs them. */
export const LedProbeStepSchema = z.enum(["gpio-request", "irq-request", "chrdev-register"]);

const line = z.number().int().min(0).max(15);
const ns = z.number().int().nonnegative();

/** The platform bus bound the LED driver: probe runs with these driver options. */
export const LedDriverBindRequested = defineEvent(
  "LedDriverBindRequested",
  z.object({
    /** How write() takes the LED lock. */
    lockMode: LockModeSchema.default("irqsave"),
    /** How long write() stays in its critical section after driving the line (a `udelay()` for the LED driver chip to latch). */
    latchDelayNs: ns.default(5_000),
  }),
  "The platform driver core calls led_probe() for the `led` node (payload: the driver's lock mode).",
);

/** A probe step succeeded. */
export const LedProbeStepCompleted = defineEvent("LedProbeStepCompleted", z.object({ step: LedProbeStepSchema, detail: z.string() }), "A step of led_probe() succeeded.");

/** misc_register() succeeded: the device node exists. */
export const LedDeviceRegistered = defineEvent(
  "LedDeviceRegistered",
  z.object({ node: z.string(), lockMode: LockModeSchema, ledLine: line, buttonLine: line }),
  "The character device /dev/led exists; user space can write 0 or 1 to it.",
);

/** The driver wrote a GPIO controller register (hiword-masked value). */
export const GpioWriteIssued = defineEvent(
  "GpioWriteIssued",
  z.object({ reg: z.enum(GPIO_REG_NAMES), value: z.number().int().min(0).max(0xffff_ffff) }),
  "A write to a register of the GPIO bank (bits 31:16 select the bits 15:0 that change).",
);

/** The button wired to the input line was pressed (and released: a pulse). */
export const ButtonPressed = defineEvent("ButtonPressed", z.object({}), "Someone pressed the button: a rising then a falling edge on the input line.");

/** An output line changed level: for the LED line, the LED lit (1) or went dark (0). */
export const GpioOutputChanged = defineEvent("GpioOutputChanged", z.object({ line, level: z.union([z.literal(0), z.literal(1)]) }), "The level driven on a GPIO output line changed (the LED lit or went dark).");

/** The GPIO bank's interrupt became pending for an input line. */
export const GpioIrqRaised = defineEvent("GpioIrqRaised", z.object({ line, status: z.number().int().min(0).max(0xffff) }), "The GPIO bank signalled an edge interrupt (INT_STATUS).");

/** A user-space process calls write(2) on /dev/led. */
export const LedWriteIssued = defineEvent(
  "LedWriteIssued",
  z.object({ pid: z.number().int().positive(), data: z.string(), tag: z.string().default("") }),
  "A process writes to /dev/led (\"1\" lights the LED, \"0\" turns it off).",
);

/** write(2) on /dev/led returned. */
export const LedWriteCompleted = defineEvent(
  "LedWriteCompleted",
  z.object({ pid: z.number().int().positive(), tag: z.string(), ret: z.number().int() }),
  "write(2) on /dev/led returned the byte count or a negative errno.",
);

/** A spinlock was taken. */
export const SpinlockAcquired = defineEvent(
  "SpinlockAcquired",
  z.object({ lock: z.string(), context: ExecContextSchema, fn: z.string(), irqsave: z.boolean(), localIrqsEnabled: z.boolean() }),
  "spin_lock()/spin_lock_irqsave() returned: the caller holds the lock (localIrqsEnabled: whether an IRQ can still interrupt it).",
);

/** A spinlock was released. */
export const SpinlockReleased = defineEvent(
  "SpinlockReleased",
  z.object({ lock: z.string(), context: ExecContextSchema, fn: z.string(), irqsRestored: z.boolean() }),
  "spin_unlock()/spin_unlock_irqrestore(): the lock is free (irqsRestored: local interrupts came back on).",
);

/** An interrupt arrived while local interrupts were off; it runs when they come back on. */
export const IrqDeferred = defineEvent(
  "IrqDeferred",
  z.object({ irq: z.string(), cpu: z.number().int().nonnegative(), reason: z.string() }),
  "An interrupt stays pending at the interrupt controller until the CPU re-enables interrupts.",
);

/** The LED driver's hard IRQ handler ran to completion. */
export const LedIrqHandled = defineEvent(
  "LedIrqHandled",
  z.object({ line, ledOn: z.boolean(), deferredNs: ns }),
  "led_irq_handler() toggled the LED (deferredNs: how long the IRQ waited for interrupts to come back on).",
);

/** lockdep found a lock used both with hard interrupts enabled and inside a hard interrupt. */
export const LockdepInconsistentUsage = defineEvent(
  "LockdepInconsistentUsage",
  z.object({
    lock: z.string(),
    /** The usage registered first … */
    from: LockUsageSchema,
    /** … and the one that contradicts it now. */
    to: LockUsageSchema,
    cpu: z.number().int().nonnegative(),
    /** Where the lock is being taken now, and where the first usage was registered (function, context, virtual time). */
    takenBy: z.object({ fn: z.string(), context: ExecContextSchema }),
    registeredBy: z.object({ fn: z.string(), context: ExecContextSchema, atNs: ns }),
    /** The report as the kernel prints it. */
    text: z.array(z.string()),
  }),
  "lockdep: WARNING: inconsistent lock state — the lock can deadlock against an interrupt (reported once per boot).",
);

/** A CPU spins forever on a lock that the code it interrupted holds. */
export const SpinlockDeadlocked = defineEvent(
  "SpinlockDeadlocked",
  z.object({
    lock: z.string(),
    cpu: z.number().int().nonnegative(),
    holder: z.object({ context: ExecContextSchema, fn: z.string(), pid: z.number().int().nonnegative(), sinceNs: ns }),
    waiter: z.object({ context: ExecContextSchema, fn: z.string() }),
  }),
  "Self-deadlock: an IRQ handler spins on a spinlock held by the code it interrupted on the same CPU; nothing on that CPU runs again.",
);

/** The hard-lockup watchdog saw a CPU stuck with interrupts off. */
export const HardLockupDetected = defineEvent(
  "HardLockupDetected",
  z.object({ cpu: z.number().int().nonnegative(), stuckForNs: ns, fn: z.string() }),
  "NMI watchdog: Watchdog detected hard LOCKUP on a CPU (watchdog_thresh passed without a timer interrupt).",
);

/** Every LED tutorial event type. */
export const ledEvents = [
  LedDriverBindRequested, LedProbeStepCompleted, LedDeviceRegistered, GpioWriteIssued, ButtonPressed, GpioOutputChanged, GpioIrqRaised,
  LedWriteIssued, LedWriteCompleted, SpinlockAcquired, SpinlockReleased, IrqDeferred, LedIrqHandled, LockdepInconsistentUsage, SpinlockDeadlocked,
  HardLockupDetected,
] as const;
