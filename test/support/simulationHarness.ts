/** Shared harness of the Simulation tests: small event types, a set-up and recording actors. */
import { z } from "zod";
import type { ActorContext, ActorSpec } from "../../shared/actor/actor.ts";
import { type Envelope } from "../../shared/events/envelope.ts";
import { defineEvent, EventRegistry } from "../../shared/events/registry.ts";
import { systemEvents } from "../../shared/events/systemEvents.ts";
import { MemoryLogSink } from "../../shared/log/jsonlSink.ts";
import { type Prng } from "../../shared/random/prng.ts";
import { Simulation } from "../../shared/runtime/simulation.ts";

// Small test events: a request, its answer, a timer tick and an injected fault.
export const Ping = defineEvent("Ping", z.object({ n: z.number().int() }), "Test: a request.");
export const Pong = defineEvent("Pong", z.object({ n: z.number().int() }), "Test: an answer to a Ping.");
export const Tick = defineEvent("Tick", z.object({ timer: z.string() }), "Test: a timer expired.");
export const FaultInjected = defineEvent("FaultInjected", z.object({ as: z.number().int().min(0).max(15) }), "Test: an outside fault.");

export const RUN = "r1";
export const SEED = 1234;

export function setUp(opts: { acceptInputs?: boolean } = {}) {
  const registry = new EventRegistry().register(...systemEvents, Ping, Pong, Tick, FaultInjected);
  const sink = new MemoryLogSink();
  const sim = new Simulation({ run: RUN, seed: SEED, registry, sink, ...opts });
  return { sim, sink };
}

/** An actor that records what it receives and optionally reacts through its context. */
export function recorder(name: string, subscribes: readonly string[], react?: (e: Envelope, ctx: ActorContext) => void) {
  const received: Envelope[] = [];
  const spec: ActorSpec = {
    name,
    subscribes,
    create: (ctx) => ({
      handle: (e) => {
        received.push(e);
        react?.(e, ctx);
      },
      snapshot: () => ({ received: received.length }),
    }),
  };
  return { spec, received };
}

export const summary = (events: readonly Envelope[]) => events.map((e) => `${e.timeNs}/${e.depth}/${e.id}:${e.type}`);
export const ofType = (events: readonly Envelope[], type: string) => events.filter((e) => e.type === type);

export function seededShuffle<T>(items: readonly T[], rng: Prng): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

/** A random interleaving of per-source input lists that keeps each source's own order. */
export function interleave<T>(lists: readonly (readonly T[])[], rng: Prng): T[] {
  const cursors = lists.map(() => 0);
  const out: T[] = [];
  for (;;) {
    const open = lists.map((l, i) => i).filter((i) => (cursors[i] as number) < (lists[i] as readonly T[]).length);
    if (open.length === 0) return out;
    const pick = open[rng.int(0, open.length - 1)] as number;
    out.push((lists[pick] as readonly T[])[cursors[pick]!++] as T);
  }
}

