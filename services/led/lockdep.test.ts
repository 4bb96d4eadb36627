import { describe, expect, it } from "vitest";
import { LOCKDEP_INITIAL, lockdepAcquire, usageOf } from "./lockdep.ts";

const LOCK = "led->lock";

describe("lockdep's hard-IRQ usage check", () => {
  it("registers HARDIRQ-ON-W only for a process-context acquisition with interrupts on", () => {
    expect(usageOf("process", true)).toBe("HARDIRQ-ON-W");
    expect(usageOf("process", false)).toBeUndefined();
    expect(usageOf("hardirq", false)).toBe("IN-HARDIRQ-W");
  });

  it("reports {HARDIRQ-ON-W} -> {IN-HARDIRQ-W} when an IRQ handler takes a lock process context took with interrupts on", () => {
    const a = lockdepAcquire(LOCKDEP_INITIAL, LOCK, { fn: "led_write", context: "process", atNs: 1000 }, true, 0);
    expect(a.report).toBeUndefined();
    const b = lockdepAcquire(a.state, LOCK, { fn: "led_irq_handler", context: "hardirq", atNs: 2000 }, false, 0);
    expect(b.report).toMatchObject({ from: "HARDIRQ-ON-W", to: "IN-HARDIRQ-W", registeredBy: { fn: "led_write", atNs: 1000 }, takenBy: { fn: "led_irq_handler" } });
    expect(b.report?.text).toContain("inconsistent {HARDIRQ-ON-W} -> {IN-HARDIRQ-W} usage.");
  });

  it("reports the reverse order too, when the IRQ handler came first", () => {
    const a = lockdepAcquire(LOCKDEP_INITIAL, LOCK, { fn: "led_irq_handler", context: "hardirq", atNs: 1000 }, false, 0);
    const b = lockdepAcquire(a.state, LOCK, { fn: "led_write", context: "process", atNs: 2000 }, true, 0);
    expect(b.report).toMatchObject({ from: "IN-HARDIRQ-W", to: "HARDIRQ-ON-W" });
  });

  it("stays quiet when process context always takes the lock with interrupts off (spin_lock_irqsave)", () => {
    let s = LOCKDEP_INITIAL;
    for (let i = 0; i < 3; i++) {
      const w = lockdepAcquire(s, LOCK, { fn: "led_write", context: "process", atNs: i * 10 }, false, 0);
      const h = lockdepAcquire(w.state, LOCK, { fn: "led_irq_handler", context: "hardirq", atNs: i * 10 + 5 }, false, 0);
      expect([w.report, h.report]).toEqual([undefined, undefined]);
      s = h.state;
    }
  });

  it("reports once per boot: lockdep turns itself off after the first report", () => {
    const a = lockdepAcquire(LOCKDEP_INITIAL, LOCK, { fn: "led_write", context: "process", atNs: 0 }, true, 0);
    const b = lockdepAcquire(a.state, LOCK, { fn: "led_irq_handler", context: "hardirq", atNs: 1 }, false, 0);
    expect(b.state.debugLocks).toBe(false);
    const c = lockdepAcquire({ ...b.state, usage: { "HARDIRQ-ON-W": b.state.usage["HARDIRQ-ON-W"]! } }, LOCK, { fn: "led_irq_handler", context: "hardirq", atNs: 2 }, false, 0);
    expect(c.report).toBeUndefined();
  });
});
