import { describe, expect, it } from "vitest";
import type { ActorBehaviour, ActorContext } from "../../shared/actor/actor.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import { systemEvents } from "../../shared/events/systemEvents.ts";
import { MemoryLogSink } from "../../shared/log/jsonlSink.ts";
import { Simulation } from "../../shared/runtime/simulation.ts";
import { regsEvents } from "../regs/regsEvents.ts";
import { KMutex, mutexLock, mutexUnlock, sleepNs, waitEvent, type KTask } from "./ktask.ts";
import { KernelTaskRunner } from "./ktaskRunner.ts";

/** A simulation hosting one actor whose behaviour is a task runner; `setup` starts tasks at t = 0. */
function withRunner(setup: (tasks: KernelTaskRunner, ctx: ActorContext, log: string[]) => void): string[] {
  const log: string[] = [];
  const sim = new Simulation({ run: "k", seed: 1, registry: new EventRegistry().register(...systemEvents, ...regsEvents), sink: new MemoryLogSink() });
  sim.addActor({
    name: "drv0",
    subscribes: [],
    create(ctx): ActorBehaviour {
      const tasks = new KernelTaskRunner(ctx, 0);
      ctx.timer("start", () => (setup(tasks, ctx, log), "norestart")).start(0);
      return { handle: (e) => tasks.offer(e), snapshot: () => tasks.describe() };
    },
  });
  sim.run();
  return log;
}

describe("kernel tasks: wait_event and mutexes", () => {
  it("wakes a wait_event when another task changes its condition, and times out otherwise", () => {
    const log = withRunner((tasks, ctx, out) => {
      let flag = false;
      tasks.start("waiter", (function* (): KTask<void> {
        const got = yield* waitEvent(() => (flag ? "set" : undefined), 1_000_000);
        out.push(`woke ${got} at ${ctx.nowNs()}`);
        const none = yield* waitEvent(() => undefined, 500);
        out.push(`timed out ${String(none)} at ${ctx.nowNs()}`);
      })(), () => {});
      tasks.start("setter", (function* (): KTask<void> {
        yield* sleepNs(300);
        flag = true;
      })(), () => {});
    });
    expect(log).toEqual(["woke set at 300", "timed out undefined at 800"]);
  });

  it("serialises critical sections in FIFO order and hands the lock over on unlock", () => {
    const log = withRunner((tasks, ctx, out) => {
      const m = new KMutex("m");
      for (const name of ["a", "b", "c"]) {
        tasks.start(name, (function* (): KTask<void> {
          yield* mutexLock(m);
          out.push(`${name} in at ${ctx.nowNs()}`);
          yield* sleepNs(100);
          yield* mutexUnlock(m);
        })(), () => {});
      }
    });
    expect(log).toEqual(["a in at 0", "b in at 100", "c in at 200"]);
  });

  it("releases the mutexes of a task that throws, so the next waiter still runs", () => {
    const log = withRunner((tasks, _ctx, out) => {
      const m = new KMutex("m");
      tasks.start("crash", (function* (): KTask<void> {
        yield* mutexLock(m);
        yield* sleepNs(10);
        throw new Error("boom");
      })(), () => {}, (e) => out.push(`failed: ${(e as Error).message}`));
      tasks.start("next", (function* (): KTask<void> {
        yield* mutexLock(m);
        out.push("next got the lock");
        yield* mutexUnlock(m);
      })(), () => {});
    });
    expect(log).toEqual(["failed: boom", "next got the lock"]);
  });
});
