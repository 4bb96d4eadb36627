import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { ActorSpec } from "../actor/actor.ts";
import { defineEvent, EventRegistry } from "../events/registry.ts";
import { systemEvents } from "../events/systemEvents.ts";
import { MemoryLogSink } from "../log/jsonlSink.ts";
import { Simulation } from "./simulation.ts";

const Counted = defineEvent("Counted", z.object({ by: z.number().int() }), "test: add to a counter");

const counter: ActorSpec = {
  name: "counter",
  subscribes: ["count"],
  create(ctx) {
    let total = 0;
    const tick = ctx.timer("tick", () => {
      total += 100;
      return "norestart";
    });
    return {
      handle(e) {
        total += (e.payload as { by: number }).by;
        if (total > 2) tick.start(1000);
      },
      snapshot: () => ({ total }),
    };
  },
};

describe("an actor's state stream", () => {
  it("shows the state after every handled event and every timer, with time and cause", () => {
    // given a counter actor whose state changes on events and on its own timer
    const sim = new Simulation({ run: "s", seed: 1, registry: new EventRegistry().register(...systemEvents, Counted), sink: new MemoryLogSink() });
    const actor = sim.addActor(counter);
    const seen: unknown[] = [];
    actor.state$().subscribe((s) => seen.push(s));
    // when two events arrive and the second arms the timer
    sim.input("scenario", Counted, "count", { by: 1 }, 0);
    sim.input("scenario", Counted, "count", { by: 2 }, 10);
    sim.run({ untilNs: 5000 });
    // then every change is observed in order
    expect(seen).toEqual([
      { timeNs: 0, cause: "scenario:0", state: { total: 1 } },
      { timeNs: 10, cause: "scenario:1", state: { total: 3 } },
      { timeNs: 1010, cause: "scenario:1", state: { total: 103 } },
    ]);
  });
});
