import type { ActorContext } from "../../shared/actor/actor.ts";
import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import type { HrTimer } from "../../shared/time/hrtimer.ts";
import { MmioReadCompleted, MmioReadIssued, MmioWriteIssued } from "../regs/regsEvents.ts";
import { regsPaths } from "../regs/regsPaths.ts";
import type { KMutex, KOp, KTask } from "./ktask.ts";

/** What a task is blocked on. */
type Waiting =
  | { kind: "read"; tag: string }
  | { kind: "wait"; match: (e: Envelope) => unknown; timer: HrTimer | undefined }
  | { kind: "until"; cond: () => unknown; timer: HrTimer | undefined }
  | { kind: "lock"; mutex: KMutex }
  | { kind: "ready"; value: unknown }
  | { kind: "sleep" }
  | { kind: "none" };

/** The "not blocked" state, shared: `advance` sets it on every resume and nothing mutates it. */
const NOT_WAITING: Waiting = Object.freeze({ kind: "none" });

interface Running {
  readonly name: string;
  readonly task: KTask<unknown>;
  readonly done: (result: unknown) => void;
  readonly fail: (error: unknown) => void;
  waiting: Waiting;
  /** Mutexes the task holds, released if it ends or throws while holding them. */
  readonly held: Set<KMutex>;
}

/**
 * Runs kernel tasks inside a driver actor: register accesses become `MmioWriteIssued` /
 * `MmioReadIssued` events on the GPU's MMIO subject, sleeps and timeouts become the actor's
 * hrtimers, waits are matched against the events the actor receives. Several tasks run at once
 * (probe, IRQ threads, ioctls), each resumed in the canonical order of the events it waits for.
 *
 * `wait_event` conditions are re-checked after every event offered and after every step any task
 * takes (the wake_up a state change would do in the kernel); a released mutex goes to its oldest
 * waiter, which resumes in the same instant. Everything is deterministic: tasks are visited in
 * the order they were started.
 */
export class KernelTaskRunner {
  private readonly running = new Set<Running>();
  private reads = 0;
  private draining = false;
  /** The GPU's MMIO subject, built once (every register access of every task is published on it). */
  private readonly mmio: string;

  constructor(
    private readonly ctx: ActorContext,
    gpu: number,
  ) {
    this.mmio = regsPaths(gpu).mmio;
  }

  /** Names of the tasks in flight and what each waits on (for snapshots and the audit). */
  describe(): { name: string; waiting: string }[] {
    return [...this.running].map((r) => ({ name: r.name, waiting: r.waiting.kind }));
  }

  /** Start a task; `done` gets its return value, `fail` anything it threw. */
  start<R>(name: string, task: KTask<R>, done: (result: R) => void, fail: (error: unknown) => void = (e) => { throw e; }): void {
    const r: Running = { name, task, done: done as (x: unknown) => void, fail, waiting: NOT_WAITING, held: new Set() };
    this.running.add(r);
    this.resume(r, undefined);
  }

  /** Offer a delivered event to the tasks: read completions and matching waits resume their task. */
  offer(e: Envelope): void {
    const read = EventRegistry.is(MmioReadCompleted, e) ? e.payload : undefined;
    for (const r of [...this.running]) {
      const w = r.waiting;
      if (w.kind === "read" && read !== undefined && read.tag === w.tag) {
        this.resume(r, read.value);
      } else if (w.kind === "wait") {
        const got = w.match(e);
        if (got !== undefined) {
          w.timer?.cancel();
          this.resume(r, got);
        }
      }
    }
    this.drain();
  }

  /** Re-check every `wait_event` condition now (after a state change outside any task). */
  wake(): void {
    this.drain();
  }

  /** Advance one task, then let every task its step unblocked run. */
  private resume(r: Running, input: unknown): void {
    this.advance(r, input);
    this.drain();
  }

  /** Run unblocked tasks (lock hand-overs, satisfied conditions) until none is left; not re-entrant. */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let progress = true; progress; ) {
        progress = false;
        for (const r of [...this.running]) {
          const w = r.waiting;
          if (w.kind === "ready") {
            this.advance(r, w.value);
            progress = true;
          } else if (w.kind === "until") {
            const got = w.cond();
            if (got === undefined) continue;
            w.timer?.cancel();
            this.advance(r, got);
            progress = true;
          }
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private finish(r: Running): void {
    this.running.delete(r);
    for (const m of [...r.held]) this.release(r, m);
  }

  private release(r: Running, m: KMutex): void {
    if (m.owner !== r) throw new Error(`task '${r.name}' unlocks mutex '${m.name}' it does not hold`);
    r.held.delete(m);
    const next = m.waiters.shift() as Running | undefined;
    m.owner = next;
    if (next !== undefined) {
      next.held.add(m);
      next.waiting = { kind: "ready", value: undefined };
    }
  }

  private timeoutTimer(r: Running, what: string, timeoutNs: number): HrTimer | undefined {
    if (!Number.isFinite(timeoutNs)) return undefined;
    const t = this.ctx.timer(`${r.name}.${what}`, () => {
      this.resume(r, undefined);
      return "norestart";
    });
    t.start(Math.max(0, timeoutNs));
    return t;
  }

  private advance(r: Running, input: unknown): void {
    let value = input;
    r.waiting = NOT_WAITING;
    for (;;) {
      let step: IteratorResult<KOp, unknown>;
      try {
        step = r.task.next(value);
      } catch (e) {
        this.finish(r);
        r.fail(e);
        return;
      }
      if (step.done === true) {
        this.finish(r);
        r.done(step.value);
        return;
      }
      const op = step.value;
      value = undefined;
      switch (op.op) {
        case "write":
          this.ctx.publish(MmioWriteIssued, this.mmio, { offset: op.offset, value: op.value });
          continue;
        case "now":
          value = this.ctx.nowNs();
          continue;
        case "publish":
          this.ctx.publish(op.def, op.path, op.payload as never);
          continue;
        case "read": {
          const tag = `${r.name}#${this.reads++}`;
          r.waiting = { kind: "read", tag };
          this.ctx.publish(MmioReadIssued, this.mmio, { offset: op.offset, tag });
          return;
        }
        case "sleep":
          r.waiting = { kind: "sleep" };
          this.timeoutTimer(r, "sleep", op.ns);
          return;
        case "wait":
          r.waiting = { kind: "wait", match: op.match, timer: this.timeoutTimer(r, "wait", op.timeoutNs) };
          return;
        case "until": {
          const got = op.cond();
          if (got !== undefined) {
            value = got;
            continue;
          }
          r.waiting = { kind: "until", cond: op.cond, timer: this.timeoutTimer(r, "wait", op.timeoutNs) };
          return;
        }
        case "lock":
          if (op.mutex.owner === undefined) {
            op.mutex.owner = r;
            r.held.add(op.mutex);
            continue;
          }
          if (op.mutex.owner === r) throw new Error(`task '${r.name}' locks mutex '${op.mutex.name}' twice (deadlock)`);
          op.mutex.waiters.push(r);
          r.waiting = { kind: "lock", mutex: op.mutex };
          return;
        case "unlock":
          this.release(r, op.mutex);
          continue;
      }
    }
  }
}
