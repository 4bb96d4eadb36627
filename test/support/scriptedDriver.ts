import type { ActorBehaviour, ActorContext, ActorSpec } from "../../shared/actor/actor.ts";
import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry, type EventDef, type PayloadOf } from "../../shared/events/registry.ts";
import { MmioReadCompleted, MmioReadIssued, MmioWriteIssued } from "../../services/regs/regsEvents.ts";
import { regsPaths } from "../../services/regs/regsPaths.ts";

/** One step of a scripted driver: what it yields to the actor running it. */
export type DriverOp =
  | { readonly op: "write"; readonly offset: number; readonly value: number }
  | { readonly op: "read"; readonly offset: number }
  | { readonly op: "sleep"; readonly ns: number }
  | { readonly op: "publish"; readonly def: EventDef; readonly path: string; readonly payload: unknown }
  | { readonly op: "waitFor"; readonly match: (e: Envelope) => boolean; readonly timeoutNs?: number }
  | { readonly op: "now" };

/** A driver script: a generator of ops; a `read` resumes with the value, a `waitFor` with the event. */
export type DriverScript = Generator<DriverOp, void, unknown>;

/** `gpu_write()`. */
export function* write(offset: number, value: number): Generator<DriverOp, void, unknown> {
  yield { op: "write", offset, value };
}

/** `gpu_read()`: the value the register file answered. */
export function* read(offset: number): Generator<DriverOp, number, unknown> {
  return (yield { op: "read", offset }) as number;
}

/** Sleep `ns` of virtual time (`usleep_range()` in a poll loop). */
export function* sleep(ns: number): Generator<DriverOp, void, unknown> {
  yield { op: "sleep", ns };
}

/** Publish an event as another agent would (the CPU's memory writes, the firmware's job dispatch). */
export function* publish<D extends EventDef>(def: D, path: string, payload: PayloadOf<D>): Generator<DriverOp, void, unknown> {
  yield { op: "publish", def, path, payload };
}

/** Wait until an event matching `match` is delivered (an IRQ, a job's end); resumes with it. */
export function* waitFor(match: (e: Envelope) => boolean): Generator<DriverOp, Envelope, unknown> {
  return (yield { op: "waitFor", match }) as Envelope;
}

/**
 * `wait_event_timeout()`: wait until an event matching `match` is delivered, at most `timeoutNs`;
 * resumes with the event, or undefined on timeout.
 */
export function* waitForTimeout(match: (e: Envelope) => boolean, timeoutNs: number): Generator<DriverOp, Envelope | undefined, unknown> {
  return (yield { op: "waitFor", match, timeoutNs }) as Envelope | undefined;
}

/** The current virtual time (`ktime_get()`). */
export function* now(): Generator<DriverOp, number, unknown> {
  return (yield { op: "now" }) as number;
}

/**
 * `readl_poll_timeout()`: read `offset` every `stepNs` until `done(value)`; throws after
 * `timeoutNs`. Returns the last value read.
 */
export function* poll(offset: number, done: (v: number) => boolean, stepNs: number, timeoutNs: number): Generator<DriverOp, number, unknown> {
  for (let waited = 0; ; waited += stepNs) {
    const v = yield* read(offset);
    if (done(v)) return v;
    if (waited >= timeoutNs) throw new Error(`timeout polling 0x${offset.toString(16)} (last 0x${v.toString(16)})`);
    yield* sleep(stepNs);
  }
}

/**
 * A driver (and whatever else the test stands in for) as an actor running a script: it starts at
 * time 0, issues MMIO writes and reads on `gpu<N>.mmio`, resumes a read when its
 * `MmioReadCompleted` arrives, sleeps on an hrtimer, and waits for events on `listens` (with a
 * timeout when asked: the same hrtimer then resumes the script with undefined). An
 * exception thrown by the script is reported by the runtime as `ActorHandlerFailed`.
 */
export function scriptedDriverActor(name: string, gpu: number, listens: readonly string[], script: () => DriverScript): ActorSpec {
  const paths = regsPaths(gpu);
  return {
    name,
    subscribes: [paths.read, ...listens],
    create(ctx: ActorContext): ActorBehaviour {
      const gen = script();
      let waiting: { kind: "read"; tag: string } | { kind: "event"; match: (e: Envelope) => boolean } | { kind: "sleep" } | { kind: "done" } = { kind: "sleep" };
      let reads = 0;
      const advance = (first: unknown): void => {
        let input = first;
        for (;;) {
          const r = gen.next(input);
          input = undefined;
          if (r.done === true) return void (waiting = { kind: "done" });
          const op = r.value;
          if (op.op === "write") ctx.publish(MmioWriteIssued, paths.mmio, { offset: op.offset, value: op.value });
          else if (op.op === "publish") ctx.publish(op.def, op.path, op.payload as never);
          else if (op.op === "now") input = ctx.nowNs();
          else if (op.op === "read") {
            const tag = `${name}#${reads++}`;
            ctx.publish(MmioReadIssued, paths.mmio, { offset: op.offset, tag });
            return void (waiting = { kind: "read", tag });
          } else if (op.op === "sleep") {
            timer.start(op.ns);
            return void (waiting = { kind: "sleep" });
          } else {
            if (op.timeoutNs !== undefined) timer.start(op.timeoutNs);
            return void (waiting = { kind: "event", match: op.match });
          }
        }
      };
      const timer = ctx.timer("script", () => {
        advance(undefined);
        return "norestart";
      });
      timer.start(0);
      return {
        handle(e: Envelope) {
          if (waiting.kind === "read" && EventRegistry.is(MmioReadCompleted, e) && e.payload.tag === waiting.tag) advance(e.payload.value);
          else if (waiting.kind === "event" && waiting.match(e)) {
            timer.cancel();
            advance(e);
          }
        },
        snapshot: () => ({ waiting: waiting.kind, reads }),
      };
    },
  };
}
