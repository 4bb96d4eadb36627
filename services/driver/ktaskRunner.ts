import type { ActorContext } from "../../shared/actor/actor.ts";
import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import type { HrTimer } from "../../shared/time/hrtimer.ts";
import { MmioReadCompleted, MmioReadIssued, MmioWriteIssued } from "../regs/regsEvents.ts";
import { regsPaths } from "../regs/regsPaths.ts";
import type { KOp, KTask } from "./ktask.ts";

interface Running {
  readonly name: string;
  readonly task: KTask<unknown>;
  readonly done: (result: unknown) => void;
  readonly fail: (error: unknown) => void;
  /** What the task is blocked on. */
  waiting: { kind: "read"; tag: string } | { kind: "wait"; match: (e: Envelope) => unknown; timer: HrTimer } | { kind: "sleep" } | { kind: "none" };
}

/**
 * Runs kernel tasks inside a driver actor: register accesses become `MmioWriteIssued` /
 * `MmioReadIssued` events on the GPU's MMIO subject, sleeps and timeouts become the actor's
 * hrtimers, waits are matched against the events the actor receives. Several tasks run at once
 * (probe, IRQ threads, ioctls), each resumed in the canonical order of the events it waits for.
 */
export class KernelTaskRunner {
  private readonly running = new Set<Running>();
  private reads = 0;

  constructor(
    private readonly ctx: ActorContext,
    private readonly gpu: number,
  ) {}

  /** Names of the tasks in flight and what each waits on (for snapshots and the audit). */
  describe(): { name: string; waiting: string }[] {
    return [...this.running].map((r) => ({ name: r.name, waiting: r.waiting.kind }));
  }

  /** Start a task; `done` gets its return value, `fail` anything it threw. */
  start<R>(name: string, task: KTask<R>, done: (result: R) => void, fail: (error: unknown) => void = (e) => { throw e; }): void {
    const r: Running = { name, task, done: done as (x: unknown) => void, fail, waiting: { kind: "none" } };
    this.running.add(r);
    this.advance(r, undefined);
  }

  /** Offer a delivered event to the tasks: read completions and matching waits resume their task. */
  offer(e: Envelope): void {
    for (const r of [...this.running]) {
      const w = r.waiting;
      if (w.kind === "read" && EventRegistry.is(MmioReadCompleted, e) && e.payload.tag === w.tag) {
        this.advance(r, e.payload.value);
      } else if (w.kind === "wait") {
        const got = w.match(e);
        if (got !== undefined) {
          w.timer.cancel();
          this.advance(r, got);
        }
      }
    }
  }

  private advance(r: Running, input: unknown): void {
    let value = input;
    for (;;) {
      let step: IteratorResult<KOp, unknown>;
      try {
        step = r.task.next(value);
      } catch (e) {
        this.running.delete(r);
        r.fail(e);
        return;
      }
      if (step.done === true) {
        this.running.delete(r);
        r.done(step.value);
        return;
      }
      const op = step.value;
      switch (op.op) {
        case "write":
          this.ctx.publish(MmioWriteIssued, regsPaths(this.gpu).mmio, { offset: op.offset, value: op.value });
          value = undefined;
          continue;
        case "now":
          value = this.ctx.nowNs();
          continue;
        case "publish":
          this.ctx.publish(op.def, op.path, op.payload as never);
          value = undefined;
          continue;
        case "read": {
          const tag = `${r.name}#${this.reads++}`;
          r.waiting = { kind: "read", tag };
          this.ctx.publish(MmioReadIssued, regsPaths(this.gpu).mmio, { offset: op.offset, tag });
          return;
        }
        case "sleep": {
          r.waiting = { kind: "sleep" };
          const t = this.ctx.timer(`${r.name}.sleep`, () => {
            this.advance(r, undefined);
            return "norestart";
          });
          t.start(op.ns);
          return;
        }
        case "wait": {
          const timer = this.ctx.timer(`${r.name}.wait`, () => {
            this.advance(r, undefined);
            return "norestart";
          });
          r.waiting = { kind: "wait", match: op.match, timer };
          timer.start(op.timeoutNs);
          return;
        }
      }
    }
  }
}
