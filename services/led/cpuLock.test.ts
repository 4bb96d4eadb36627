import { describe, expect, it } from "vitest";
import { acquire, CPU_IDLE, decideIrq, deferIrq, irqExit, release } from "./cpuLock.ts";

const writer = { context: "process" as const, fn: "led_write", pid: 100, sinceNs: 0 };
const handler = { context: "hardirq" as const, fn: "led_irq_handler", pid: 0, sinceNs: 2 };

describe("the spinlock on one CPU", () => {
  it("with spin_lock_irqsave keeps an interrupt pending while the lock is held and delivers it at unlock", () => {
    const held = acquire(CPU_IDLE, writer, "irqsave").cpu;
    expect(held.localIrqsEnabled).toBe(false);
    expect(decideIrq(held)).toBe("defer");
    const r = release(deferIrq(held, 2));
    expect(r).toMatchObject({ irqsRestored: true, deliverSinceNs: 2 });
    expect(decideIrq(r.cpu)).toBe("run");
    const inIrq = acquire(r.cpu, handler, "irqsave");
    expect(inIrq.acquired).toBe(true);
    expect(irqExit(release(inIrq.cpu).cpu)).toEqual(CPU_IDLE);
  });

  it("with a plain spin_lock lets the interrupt in, and the handler's acquisition sticks the CPU", () => {
    const held = acquire(CPU_IDLE, writer, "plain").cpu;
    expect(held.localIrqsEnabled).toBe(true);
    expect(decideIrq(held)).toBe("run");
    const r = acquire(held, handler, "plain");
    expect(r.acquired).toBe(false);
    expect(r.cpu.localIrqsEnabled).toBe(false);
    expect(r.cpu.stuck).toMatchObject({ waiter: "led_irq_handler", holder: { fn: "led_write", pid: 100 } });
    // nothing runs on a stuck CPU again
    expect(decideIrq(r.cpu)).toBe("lost");
  });

  it("lets the handler take the lock when nobody holds it, whatever the write path's mode", () => {
    for (const mode of ["plain", "irqsave"] as const) expect(acquire(CPU_IDLE, handler, mode).acquired).toBe(true);
  });

  it("says a plain unlock does not restore interrupts (they were never off)", () => {
    expect(release(acquire(CPU_IDLE, writer, "plain").cpu)).toMatchObject({ irqsRestored: false, cpu: CPU_IDLE });
  });
});
