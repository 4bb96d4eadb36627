import { z } from "zod";
import { defineEvent } from "../events/registry.ts";
import { createPrng } from "../random/prng.ts";
import type { Draft } from "../runtime/draft.ts";
import { HostedActor } from "../runtime/hostedActor.ts";
import { Scheduler } from "../time/scheduler.ts";
import type { ActorContext } from "./actor.ts";

/** Test event: a machine's action ran (`what` says which). */
export const Noted = defineEvent("Noted", z.object({ what: z.string() }), "Test: a machine's action ran.");

/**
 * For machine tests: an actor context on a scheduler of its own; what the actor publishes is
 * collected, not delivered. `note` publishes a `Noted`, so the drafts' ids (the actor's counter)
 * show the order of actions and of the timers armed between them.
 */
export function actorContext() {
  const scheduler = new Scheduler();
  const drafts: Draft[] = [];
  let ctx: ActorContext | undefined;
  new HostedActor({ name: "m", subscribes: [], create: (c) => ((ctx = c), { handle: () => {}, snapshot: () => null }) }, createPrng(1).split("m"), {
    run: "r1",
    nowNs: () => scheduler.nowNs,
    enqueueEvent: (d) => drafts.push(d),
    enqueueTimer: (key, fire, live) => scheduler.schedule({ ...key, fire, live }),
    subject: (path) => `tyrsim.r1.${path}`,
    reportFailure: () => {},
  });
  const note = (what: string) => ctx!.publish(Noted, "noted", { what });
  return { ctx: ctx!, scheduler, drafts, note, runAll: () => void (() => { while (scheduler.step()); })() };
}
