import type { ActorBehaviour, ActorContext, ActorSpec } from "../../shared/actor/actor.ts";
import { hostMachine } from "../../shared/actor/hostedMachine.ts";
import { sendChecked } from "../../shared/actor/xstateHost.ts";
import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry, type PayloadOf } from "../../shared/events/registry.ts";
import { ERRNO } from "../../shared/gpu/errno.ts";
import { acquire, CPU_IDLE, decideIrq, deferIrq, irqExit, release, type CpuLockState } from "./cpuLock.ts";
import { LED_BOARD } from "./ledBoard.ts";
import {
  GpioIrqRaised, GpioWriteIssued, HardLockupDetected, IrqDeferred, LedDeviceRegistered, LedDriverBindRequested, LedIrqHandled, LedProbeStepCompleted,
  LedWriteCompleted, LedWriteIssued, LockdepInconsistentUsage, SpinlockAcquired, SpinlockDeadlocked, SpinlockReleased, type ExecContext, type LockMode,
} from "./ledEvents.ts";
import { ledLifecycleMachine } from "./ledMachine.ts";
import { LED_ACTORS, ledPaths } from "./ledPaths.ts";
import { bitWrite, probeActions } from "./ledProbe.ts";
import { parseLedValue } from "./ledValue.ts";
import { LOCKDEP_INITIAL, lockdepAcquire, type LockdepState } from "./lockdep.ts";

type Write = PayloadOf<typeof LedWriteIssued>;

const IRQ_HANDLER = "led_irq_handler";
const WRITE_FN = "led_write";

/**
 * The LED driver as an actor (`led.drv`) — the smallest driver built from the same parts as the
 * GPU stack: a lifecycle machine (`ledMachine.ts`), a probe that touches hardware only through
 * register writes (`ledProbe.ts`), a character device whose write() and an IRQ handler share
 * `led->lock`, and the lock discipline as pure functions (`cpuLock.ts`, `lockdep.ts`).
 *
 * `led_write()`: parse the value (-EINVAL), take the lock (`spin_lock_irqsave()` or, in `plain`
 * mode, `spin_lock()`), drive the LED line, wait `latchDelayNs` for the LED driver chip to latch
 * (a `udelay()` inside the critical section — what makes the window an interrupt can land in),
 * unlock, return the byte count. `led_irq_handler()`: take the lock, toggle the LED, unlock.
 * In `plain` mode an interrupt inside that window runs the handler on the same CPU, which spins
 * on the lock its own interrupted write() holds: `SpinlockDeadlocked`, preceded by lockdep's
 * report, followed after `watchdog_thresh` by the hard-lockup detector; nothing of the driver
 * runs again. In `irqsave` mode the interrupt waits (`IrqDeferred`) and runs at unlock.
 *
 * Simplified: one CPU; writes from several processes are served one after another (a spinlock
 * holder is never preempted, and the tutorial has no second CPU for them); the gpio-rockchip
 * chained handler is folded in (the driver's handler writes the EOI itself, first, as
 * `handle_edge_irq()` acks before calling the handler); no open/release, no read().
 */
export function ledDriverActor(): ActorSpec {
  return {
    name: LED_ACTORS.driver,
    subscribes: [ledPaths.bind, ledPaths.dev, ledPaths.irq],
    create(ctx: ActorContext): ActorBehaviour {
      const lifecycle = hostMachine(ctx, ledLifecycleMachine, { id: `${ctx.name}.lifecycle` });
      let lockMode: LockMode = "irqsave";
      let latchDelayNs = 0;
      let cpu: CpuLockState = CPU_IDLE;
      let lockdep: LockdepState = LOCKDEP_INITIAL;
      let ledOn = false;
      let current: Write | undefined;
      const queued: Write[] = [];
      const state = () => lifecycle.getSnapshot();
      const gpio = (reg: PayloadOf<typeof GpioWriteIssued>["reg"], value: number) => ctx.publish(GpioWriteIssued, ledPaths.gpioCmd, { reg, value });
      const drive = (on: boolean) => {
        ledOn = on;
        gpio("SWPORT_DR_L", bitWrite(LED_BOARD.ledLine, on));
      };

      /** `spin_lock*()`: lockdep's check first (as `lock_acquire()` runs before the arch lock), then the lock itself. */
      const lock = (context: ExecContext, fn: string, pid: number): boolean => {
        const irqsave = context === "process" && lockMode === "irqsave";
        const hardirqsEnabled = context === "process" && !irqsave;
        const checked = lockdepAcquire(lockdep, LED_BOARD.lock, { fn, context, atNs: ctx.nowNs() }, hardirqsEnabled, LED_BOARD.cpu);
        lockdep = checked.state;
        if (checked.report !== undefined) ctx.publish(LockdepInconsistentUsage, ledPaths.lockdep, { lock: LED_BOARD.lock, cpu: LED_BOARD.cpu, ...checked.report });
        const holder = cpu.holder;
        const r = acquire(cpu, { context, fn, pid, sinceNs: ctx.nowNs() }, lockMode);
        cpu = r.cpu;
        if (r.acquired) {
          ctx.publish(SpinlockAcquired, ledPaths.lock, { lock: LED_BOARD.lock, context, fn, irqsave, localIrqsEnabled: cpu.localIrqsEnabled });
          return true;
        }
        if (holder !== undefined) {
          ctx.publish(SpinlockDeadlocked, ledPaths.lockdep, { lock: LED_BOARD.lock, cpu: LED_BOARD.cpu, holder: { context: holder.context, fn: holder.fn, pid: holder.pid, sinceNs: holder.sinceNs }, waiter: { context, fn } });
        }
        holdTimer.cancel();
        sendChecked(lifecycle, { type: "DEADLOCK" });
        watchdog.start(LED_BOARD.watchdogThreshNs);
        return false;
      };

      /** `spin_unlock*()`; an interrupt that waited for `local_irq_restore()` runs now. */
      const unlock = (context: ExecContext, fn: string): void => {
        const r = release(cpu);
        cpu = r.cpu;
        ctx.publish(SpinlockReleased, ledPaths.lock, { lock: LED_BOARD.lock, context, fn, irqsRestored: r.irqsRestored });
        if (r.deliverSinceNs !== undefined) irqHandler(r.deliverSinceNs);
      };

      /** `led_irq_handler()` in hard IRQ context, entered `sinceNs` after the interrupt arrived. */
      const irqHandler = (sinceNs: number): void => {
        gpio("PORT_EOI_L", bitWrite(LED_BOARD.buttonLine, true));
        if (!lock("hardirq", IRQ_HANDLER, 0)) return;
        drive(!ledOn);
        unlock("hardirq", IRQ_HANDLER);
        cpu = irqExit(cpu);
        ctx.publish(LedIrqHandled, ledPaths.lock, { line: LED_BOARD.buttonLine, ledOn, deferredNs: ctx.nowNs() - sinceNs });
      };

      /** The end of a write() that held the lock: unlock, return to user space, run the next writer. */
      const holdTimer = ctx.timer("led-latch-delay", () => {
        const w = current;
        if (w === undefined) return "norestart";
        current = undefined;
        unlock("process", WRITE_FN);
        ctx.publish(LedWriteCompleted, ledPaths.devDone, { pid: w.pid, tag: w.tag, ret: w.data.length });
        sendChecked(lifecycle, { type: "WRITTEN" });
        const next = queued.shift();
        if (next !== undefined) startWrite(next);
        return "norestart";
      });

      const watchdog = ctx.timer("led-hardlockup-watchdog", () => {
        const stuck = cpu.stuck;
        if (stuck !== undefined) ctx.publish(HardLockupDetected, ledPaths.lockdep, { cpu: LED_BOARD.cpu, stuckForNs: ctx.nowNs() - stuck.sinceNs, fn: stuck.waiter });
        return "norestart";
      });

      /** `led_write()`, up to the latch delay. */
      const startWrite = (w: Write): void => {
        const on = parseLedValue(w.data);
        if (on === undefined) {
          ctx.publish(LedWriteCompleted, ledPaths.devDone, { pid: w.pid, tag: w.tag, ret: -ERRNO.EINVAL });
          const next = queued.shift();
          if (next !== undefined) startWrite(next);
          return;
        }
        sendChecked(lifecycle, { type: "WRITE" });
        current = w;
        lock("process", WRITE_FN, w.pid);
        drive(on);
        holdTimer.start(latchDelayNs);
      };

      return {
        handle(e: Envelope) {
          if (EventRegistry.is(LedDriverBindRequested, e)) {
            if (!state().can({ type: "BIND" })) return;
            sendChecked(lifecycle, { type: "BIND" });
            lockMode = e.payload.lockMode;
            latchDelayNs = e.payload.latchDelayNs;
            for (const a of probeActions()) {
              if (a.kind === "write") gpio(a.reg, a.value);
              else ctx.publish(LedProbeStepCompleted, ledPaths.probe, a.payload);
            }
            ctx.publish(LedDeviceRegistered, ledPaths.probe, { node: LED_BOARD.node, lockMode, ledLine: LED_BOARD.ledLine, buttonLine: LED_BOARD.buttonLine });
            sendChecked(lifecycle, { type: "PROBED" });
          } else if (EventRegistry.is(LedWriteIssued, e)) {
            const s = state();
            // open("/dev/led") before misc_register(): no such file.
            if (s.matches("unbound") || s.matches("probing")) ctx.publish(LedWriteCompleted, ledPaths.devDone, { pid: e.payload.pid, tag: e.payload.tag, ret: -ERRNO.ENOENT });
            else if (s.matches("wedged")) queued.push(e.payload); // its CPU never runs it
            else if (s.matches({ registered: "writing" })) queued.push(e.payload);
            else startWrite(e.payload);
          } else if (EventRegistry.is(GpioIrqRaised, e)) {
            const d = decideIrq(cpu);
            if (d === "run") irqHandler(ctx.nowNs());
            else if (d === "defer") {
              cpu = deferIrq(cpu, ctx.nowNs());
              ctx.publish(IrqDeferred, ledPaths.lock, { irq: LED_BOARD.irqName, cpu: LED_BOARD.cpu, reason: "local interrupts off: spin_lock_irqsave() held by led_write()" });
            }
          }
        },
        snapshot() {
          return { lifecycle: state().value, lockMode, latchDelayNs, ledOn, cpu, lockdep, writing: current ?? null, queued: queued.length };
        },
      };
    },
  };
}
