import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { ActorSpec } from "../actor/actor.ts";
import { defineEvent, EventRegistry } from "../events/registry.ts";
import { systemEvents } from "../events/systemEvents.ts";
import { MemoryLogSink } from "../log/jsonlSink.ts";
import { Simulation } from "./simulation.ts";

const Kicked = defineEvent("Kicked", z.object({}), "test: arm then cancel a watchdog");

/** An actor that arms a 10 s watchdog on every kick and cancels it on the next kick. */
const watchdog: ActorSpec = {
  name: "watchdog",
  subscribes: ["kick"],
  create(ctx) {
    const t = ctx.timer("wd", () => "norestart");
    let kicks = 0;
    return {
      handle() {
        kicks++;
        if (kicks === 2) t.cancel();
        else t.start(10_000_000_000);
      },
      snapshot: () => ({ kicks, armed: t.active }),
    };
  },
};

describe("cancelled timers", () => {
  it("do not keep an unbounded run going: it ends idle at the last real event", () => {
    // given a watchdog armed at 1 µs and cancelled at 2 µs
    const sink = new MemoryLogSink();
    const sim = new Simulation({ run: "c", seed: 1, registry: new EventRegistry().register(...systemEvents, Kicked), sink });
    sim.addActor(watchdog);
    sim.input("scenario", Kicked, "kick", {}, 1000);
    sim.input("scenario", Kicked, "kick", {}, 2000);
    // when the run has no time bound
    const outcome = sim.run();
    // then it ends idle at 2 µs, not at the cancelled watchdog's 10 s
    expect(outcome).toEqual({ reason: "idle", endTimeNs: 2000, events: 3 });
  });
});
