import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { ActorContext, ActorSpec } from "../actor/actor.ts";
import { makeEnvelope, type Envelope } from "../events/envelope.ts";
import { defineEvent } from "../events/registry.ts";
import { createPrng } from "../random/prng.ts";
import { Scheduler } from "../time/scheduler.ts";
import type { Draft } from "./draft.ts";
import { HostedActor, type ActorHostServices } from "./hostedActor.ts";

const Pong = defineEvent("Pong", z.object({ n: z.number().int() }), "Test: an answer.");

/**
 * The smallest host: a scheduler for time and timer expiries, and lists of what the actor queued
 * and what failed. Queued drafts are not delivered; tests hand events to `deliver` themselves.
 */
function fakeHost() {
  const scheduler = new Scheduler();
  const drafts: Draft[] = [];
  const failures: { actor: string; cause: string; error: string }[] = [];
  const host: ActorHostServices = {
    run: "r1",
    nowNs: () => scheduler.nowNs,
    enqueueEvent: (d) => drafts.push(d),
    enqueueTimer: (key, fire) => scheduler.schedule({ ...key, fire }),
    subject: (path) => `tyrsim.r1.${path}`,
    reportFailure: (actor, cause, error) => failures.push({ actor, cause, error }),
  };
  return { scheduler, drafts, failures, host };
}

/** Host an actor whose handler is `onEvent`, with its context kept for the test to use directly. */
function host(name: string, onEvent: (e: Envelope, ctx: ActorContext) => void = () => {}) {
  const h = fakeHost();
  let context: ActorContext | undefined;
  const spec: ActorSpec = {
    name,
    subscribes: [">"],
    create: (ctx) => {
      context = ctx;
      return { handle: (e) => onEvent(e, ctx), snapshot: () => ({ name }) };
    },
  };
  const actor = new HostedActor(spec, createPrng(1).split(name), h.host);
  return { ...h, actor, ctx: context as ActorContext };
}

function event(seq: number, overrides: Partial<Envelope> = {}): Envelope {
  return makeEnvelope({
    id: `scenario:${seq}`,
    run: "r1",
    seq,
    timeNs: 0,
    depth: 0,
    source: "scenario",
    subject: "tyrsim.r1.ping",
    type: "Ping",
    cause: null,
    payload: {},
    ...overrides,
  });
}

describe("HostedActor", () => {
  it("exposes the actor's name, the run and its behaviour", () => {
    const { actor } = host("gpu0.pwr");
    expect(actor.name).toBe("gpu0.pwr");
    expect(actor.run).toBe("r1");
    expect(actor.behaviour.snapshot()).toEqual({ name: "gpu0.pwr" });
  });

  it("publishes outside any handler as an input-like event: depth 0, no cause", () => {
    const { ctx, drafts } = host("gpu0.pwr");
    const id = ctx.publish(Pong, "gpu0.pwr.state", { n: 1 });
    expect(id).toBe("gpu0.pwr:0");
    expect(drafts).toEqual([
      { id: "gpu0.pwr:0", timeNs: 0, depth: 0, source: "gpu0.pwr", n: 0, subject: "tyrsim.r1.gpu0.pwr.state", type: "Pong", cause: null, payload: { n: 1 } },
    ]);
  });

  it("publishes a reaction at the cause's depth + 1 with the cause's id, at the current time", () => {
    // given an actor that answers at once, at virtual time 900
    const { actor, drafts, scheduler } = host("echo", (_e, ctx) => ctx.publish(Pong, "pong", { n: 2 }));
    scheduler.advanceTo(900);
    // when an event at depth 3 is delivered
    expect(actor.deliver(event(5, { id: "gpu0.mmu:7", depth: 3 }))).toBeUndefined();
    // then the reaction is at 900, depth 4, caused by gpu0.mmu:7
    expect(drafts[0]).toMatchObject({ id: "echo:0", timeNs: 900, depth: 4, cause: "gpu0.mmu:7" });
  });

  it("publishes a delayed reaction at now + delay with depth 0, keeping the cause", () => {
    const { actor, drafts, scheduler } = host("late", (_e, ctx) => ctx.publish(Pong, "pong", { n: 0 }, { delayNs: 40 }));
    scheduler.advanceTo(100);
    actor.deliver(event(0, { depth: 2 }));
    expect(drafts[0]).toMatchObject({ timeNs: 140, depth: 0, cause: "scenario:0" });
  });

  it("forgets the cause once the handler returns", () => {
    const { actor, ctx, drafts } = host("echo");
    actor.deliver(event(0, { depth: 2 }));
    ctx.publish(Pong, "pong", { n: 0 });
    expect(drafts[0]).toMatchObject({ depth: 0, cause: null });
  });

  it("numbers publications and timer expiries from one counter, so every key is unique", () => {
    // given an actor that publishes, arms a timer, then publishes again
    const { ctx, drafts, scheduler } = host("mixed");
    ctx.publish(Pong, "pong", { n: 0 });
    const t = ctx.timer("t", () => "norestart");
    t.start(10);
    ctx.publish(Pong, "pong", { n: 1 });
    // then the publications are mixed:0 and mixed:2, the timer took n=1
    expect(drafts.map((d) => d.id)).toEqual(["mixed:0", "mixed:2"]);
    expect(scheduler.pending).toBe(1);
    expect(t.name).toBe("mixed/t");
  });

  it("delivers an event once even when handed it twice (two matching patterns), and never an older seq", () => {
    const seen: number[] = [];
    const { actor } = host("dedup", (e) => seen.push(e.seq));
    actor.deliver(event(3));
    actor.deliver(event(3));
    actor.deliver(event(2));
    actor.deliver(event(4));
    expect(seen).toEqual([3, 4]);
  });

  it("returns the error text when the handler throws, and goes on handling later events", () => {
    const seen: number[] = [];
    const { actor } = host("fragile", (e) => {
      seen.push(e.seq);
      if (e.seq === 0) throw new TypeError("bad register");
    });
    expect(actor.deliver(event(0))).toBe("TypeError: bad register");
    expect(actor.deliver(event(1))).toBeUndefined();
    expect(seen).toEqual([0, 1]);
  });

  it("restores the cause after a throwing handler", () => {
    const { actor, ctx, drafts } = host("fragile", () => {
      throw new Error("x");
    });
    actor.deliver(event(0, { depth: 5 }));
    ctx.publish(Pong, "pong", { n: 0 });
    expect(drafts[0]).toMatchObject({ depth: 0, cause: null });
  });

  it("fires a timer at its expiry with the arming event as cause of what it publishes", () => {
    // given an actor that arms a 50 ns timer while handling scenario:0 at depth 2
    const { actor, drafts, scheduler } = host("clock", (_e, ctx) => {
      ctx.timer("tick", () => {
        ctx.publish(Pong, "pong", { n: 9 });
        return "norestart";
      }).start(50);
    });
    scheduler.advanceTo(1000);
    actor.deliver(event(0, { depth: 2 }));
    expect(drafts).toEqual([]);
    // when the expiry comes
    while (scheduler.step());
    // then the timer's publication is at 1050, caused by scenario:0, one depth below the expiry
    expect(drafts[0]).toMatchObject({ timeNs: 1050, depth: 1, cause: "scenario:0", id: "clock:1" });
  });

  it("reports a throwing timer handler with the timer's name, and keeps running", () => {
    const { ctx, failures, scheduler } = host("watchdog");
    ctx.timer("job-timeout", () => {
      throw new Error("stuck");
    }).start(5);
    while (scheduler.step());
    expect(failures).toEqual([{ actor: "watchdog", cause: "watchdog/job-timeout", error: "Error: stuck" }]);
  });

  it("ignores a cancelled timer's expiry", () => {
    const fired: number[] = [];
    const { ctx, scheduler } = host("c");
    const t = ctx.timer("t", () => (fired.push(scheduler.nowNs), "norestart"));
    t.start(5);
    t.cancel();
    while (scheduler.step());
    expect(fired).toEqual([]);
  });
});
