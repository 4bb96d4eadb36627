import { describe, expect, it } from "vitest";
import { makeEnvelope, type Envelope } from "../events/envelope.ts";
import { createPrng } from "../random/prng.ts";
import { keyLess } from "../time/scheduler.ts";
import { Simulation } from "./simulation.ts";
import { interleave, ofType, Ping, Pong, recorder, RUN, SEED, seededShuffle, setUp, summary, Tick } from "../../test/support/simulationHarness.ts";

describe("Simulation: canonical delivery", () => {
  it("delivers inputs in canonical order whatever order they were queued in (seed 1234)", () => {
    // given inputs from three sources at a few instants, each source's own list in a fixed order
    interface In { source: string; atNs: number; n: number }
    const bySource: In[][] = ["scenario", "injector", "alpha"].map((source) =>
      [300, 0, 100, 100, 0].map((atNs, n) => ({ source, atNs, n })),
    );
    const rng = createPrng(SEED).split("interleavings");
    const runs: string[][] = [];
    for (let trial = 0; trial < 8; trial++) {
      // when they are queued in different interleavings and run
      const { sim, sink } = setUp();
      for (const i of interleave(bySource, rng)) sim.input(i.source, Ping, "ping", { n: i.n }, i.atNs);
      sim.run();
      runs.push(summary(sink.events));
    }
    // then every run logs the same events in the same order
    for (const r of runs) expect(r).toEqual(runs[0]);
    // and that order is by (time, depth, source, counter)
    const { sim, sink } = setUp();
    for (const i of interleave(bySource, rng)) sim.input(i.source, Ping, "ping", { n: i.n }, i.atNs);
    sim.run();
    const pings = ofType(sink.events, "Ping");
    expect(pings).toHaveLength(15);
    const key = (e: Envelope) => ({ timeNs: e.timeNs, depth: e.depth, source: e.source, n: Number(e.id.split(":")[1]) });
    for (let i = 1; i < pings.length; i++) expect(keyLess(key(pings[i] as Envelope), key(pings[i - 1] as Envelope))).toBe(false);
    expect(summary(pings).slice(0, 3)).toEqual(["0/0/alpha:1:Ping", "0/0/alpha:4:Ping", "0/0/injector:1:Ping"]);
  });

  it("delivers the same log whatever order the actors were added in (seed 1234)", () => {
    const rng = createPrng(SEED).split("actor-order");
    const logs: string[][] = [];
    for (let trial = 0; trial < 5; trial++) {
      const { sim, sink } = setUp();
      const actors = ["b-echo", "a-echo", "c-echo"].map((name) => recorder(name, ["ping"], (e, ctx) => ctx.publish(Pong, "pong", { n: (e.payload as { n: number }).n })));
      for (const a of seededShuffle(actors, rng)) sim.addActor(a.spec);
      sim.input("scenario", Ping, "ping", { n: 1 }, 10);
      sim.run();
      logs.push(summary(sink.events));
    }
    for (const l of logs) expect(l).toEqual(logs[0]);
    expect(logs[0]?.slice(0, 4)).toEqual(["10/0/scenario:0:Ping", "10/1/a-echo:0:Pong", "10/1/b-echo:0:Pong", "10/1/c-echo:0:Pong"]);
  });

  it("numbers log positions from 0 and stamps the run id and full subject", () => {
    const { sim, sink } = setUp();
    sim.input("scenario", Ping, "gpu0.ping", { n: 0 }, 0);
    sim.input("scenario", Ping, "gpu0.ping", { n: 1 }, 5);
    sim.run();
    expect(sink.events.map((e) => e.seq)).toEqual([0, 1, 2]);
    expect(sink.events.every((e) => e.run === RUN)).toBe(true);
    expect(sink.events[0]?.subject).toBe("tyrsim.r1.gpu0.ping");
    expect(sim.eventCount).toBe(3);
  });

  it("logs every event with the envelope's keys in canonical order, as makeEnvelope builds them", () => {
    const { sim, sink } = setUp();
    sim.input("scenario", Ping, "gpu0.ping", { n: 0 }, 0);
    sim.run();
    for (const e of sink.events) expect(JSON.stringify(e)).toBe(JSON.stringify(makeEnvelope(e)));
  });

  it("emits every delivered event on delivered(), in log order", () => {
    const { sim, sink } = setUp();
    const seen: Envelope[] = [];
    sim.delivered().subscribe((e) => seen.push(e));
    sim.input("scenario", Ping, "ping", { n: 0 }, 20);
    sim.input("scenario", Ping, "ping", { n: 1 }, 10);
    sim.run();
    expect(seen).toEqual(sink.events);
  });
});

describe("Simulation: actor publications", () => {
  it("gives an immediate reaction the cause's depth + 1 and its id, delivered in the same instant after the depth-0 events", () => {
    // given an actor that answers every Ping with a Pong at once, and two depth-0 inputs at 100
    const { sim, sink } = setUp();
    const echo = recorder("echo", ["ping"], (e, ctx) => ctx.publish(Pong, "pong", { n: (e.payload as { n: number }).n }));
    sim.addActor(echo.spec);
    sim.input("scenario", Ping, "ping", { n: 1 }, 100);
    sim.input("zeta", Ping, "other", { n: 2 }, 100);
    // when run
    sim.run();
    // then the Pong is at 100, depth 1, caused by the Ping, and after zeta's depth-0 input
    expect(summary(sink.events)).toEqual(["100/0/scenario:0:Ping", "100/0/zeta:0:Ping", "100/1/echo:0:Pong", "100/0/runtime:0:RunEnded"]);
    const pong = ofType(sink.events, "Pong")[0];
    expect(pong).toMatchObject({ id: "echo:0", source: "echo", cause: "scenario:0", depth: 1, subject: "tyrsim.r1.pong", payload: { n: 1 } });
  });

  it("chains reactions one depth deeper each step within the instant", () => {
    // given an actor that answers Ping with Pong, and another that answers Pong with a Ping up to n=3
    const { sim, sink } = setUp();
    sim.addActor(recorder("echo", ["ping"], (e, ctx) => ctx.publish(Pong, "pong", { n: (e.payload as { n: number }).n })).spec);
    sim.addActor(
      recorder("bouncer", ["pong"], (e, ctx) => {
        const n = (e.payload as { n: number }).n;
        if (n < 3) ctx.publish(Ping, "ping", { n: n + 1 });
      }).spec,
    );
    sim.input("scenario", Ping, "ping", { n: 1 }, 7);
    sim.run();
    const chain = sink.events.filter((e) => e.type !== "RunEnded");
    expect(chain.map((e) => [e.type, e.depth, e.timeNs])).toEqual([
      ["Ping", 0, 7], ["Pong", 1, 7], ["Ping", 2, 7], ["Pong", 3, 7], ["Ping", 4, 7], ["Pong", 5, 7],
    ]);
    for (let i = 1; i < chain.length; i++) expect(chain[i]?.cause).toBe(chain[i - 1]?.id);
  });

  it("lands a delayed publication at now + delay with depth 0, still naming its cause", () => {
    const { sim, sink } = setUp();
    sim.addActor(recorder("late", ["ping"], (_e, ctx) => ctx.publish(Pong, "pong", { n: 0 }, { delayNs: 250 })).spec);
    sim.input("scenario", Ping, "ping", { n: 0 }, 1000);
    sim.run();
    expect(ofType(sink.events, "Pong")[0]).toMatchObject({ timeNs: 1250, depth: 0, cause: "scenario:0", id: "late:0" });
  });

  it("names an actor's events <actor>:<n> with its own counter from 0", () => {
    const { sim, sink } = setUp();
    const ids: string[] = [];
    sim.addActor(
      recorder("gpu0.mmu", ["ping"], (_e, ctx) => {
        ids.push(ctx.publish(Pong, "pong", { n: 1 }));
        ids.push(ctx.publish(Pong, "pong", { n: 2 }, { delayNs: 5 }));
      }).spec,
    );
    sim.input("scenario", Ping, "ping", { n: 0 }, 0);
    sim.input("scenario", Ping, "ping", { n: 0 }, 10);
    sim.run();
    expect(ids).toEqual(["gpu0.mmu:0", "gpu0.mmu:1", "gpu0.mmu:2", "gpu0.mmu:3"]);
    expect(ofType(sink.events, "Pong").map((e) => e.id)).toEqual(ids);
  });

  it("delivers an event once to an actor subscribed with two patterns that both match it", () => {
    const { sim, sink } = setUp();
    const both = recorder("both", ["gpu0.>", "gpu0.mmu.*", "gpu0.mmu.fault"]);
    sim.addActor(both.spec);
    sim.input("scenario", Ping, "gpu0.mmu.fault", { n: 1 }, 0);
    sim.input("scenario", Ping, "gpu0.pwr.l2.state", { n: 2 }, 1);
    sim.run();
    expect(both.received.map((e) => e.id)).toEqual(["scenario:0", "scenario:1"]);
    expect(ofType(sink.events, "Ping")).toHaveLength(2);
  });

  it("delivers to an actor only what its patterns match", () => {
    const { sim } = setUp();
    const mmu = recorder("mmu", ["gpu0.mmu.>"]);
    sim.addActor(mmu.spec);
    sim.input("scenario", Ping, "gpu0.mmu.fault", { n: 1 }, 0);
    sim.input("scenario", Ping, "gpu0.pwr", { n: 2 }, 0);
    sim.input("scenario", Ping, "gpu1.mmu.fault", { n: 3 }, 0);
    sim.run();
    expect(mmu.received.map((e) => (e.payload as { n: number }).n)).toEqual([1]);
  });

  it("gives each actor the run's PRNG split by its name", () => {
    const { sim } = setUp();
    let draw: number | undefined;
    sim.addActor({ name: "gpu0.pwr", subscribes: [], create: (ctx) => ((draw = ctx.rng.nextU32()), { handle: () => {}, snapshot: () => null }) });
    expect(draw).toBe(createPrng(SEED).split("gpu0.pwr").nextU32());
  });

  it("refuses a second actor with the same name, naming it and the run", () => {
    const { sim } = setUp();
    sim.addActor(recorder("gpu0.mmu", []).spec);
    expect(() => sim.addActor(recorder("gpu0.mmu", []).spec)).toThrow(/'gpu0\.mmu'.*r1/);
  });
});

describe("Simulation: failing actors", () => {
  it("records an ActorHandlerFailed event when a handler throws, and carries on delivering to it and to others", () => {
    // given an actor that throws on n=1 only, and a bystander on the same subject
    const { sim, sink } = setUp();
    const fragile = recorder("fragile", ["ping"], (e) => {
      if ((e.payload as { n: number }).n === 1) throw new Error("page table walk went wrong");
    });
    const bystander = recorder("bystander", ["ping"]);
    sim.addActor(fragile.spec);
    sim.addActor(bystander.spec);
    sim.input("scenario", Ping, "ping", { n: 1 }, 10);
    sim.input("scenario", Ping, "ping", { n: 2 }, 20);
    // when run
    const outcome = sim.run();
    // then the failure is on the log, naming actor, event and error
    const failures = ofType(sink.events, "ActorHandlerFailed");
    expect(failures).toHaveLength(1);
    // (from the failing actor's own runtime source, so ids do not depend on how actors are spread over processes)
    expect(failures[0]).toMatchObject({
      source: "runtime.fragile",
      depth: 1,
      subject: "tyrsim.r1.sys.error",
      timeNs: 10,
      cause: "scenario:0",
      payload: { actor: "fragile", event: "scenario:0", error: "Error: page table walk went wrong" },
    });
    // and both actors still received the later event
    expect(fragile.received.map((e) => e.id)).toEqual(["scenario:0", "scenario:1"]);
    expect(bystander.received.map((e) => e.id)).toEqual(["scenario:0", "scenario:1"]);
    expect(outcome.reason).toBe("idle");
    expect(sink.events.at(-1)?.type).toBe("RunEnded");
  });

  it("records a non-Error throw by its text", () => {
    const { sim, sink } = setUp();
    sim.addActor(
      recorder("thrower", ["ping"], () => {
        throw "plain string";
      }).spec,
    );
    sim.input("scenario", Ping, "ping", { n: 0 }, 0);
    sim.run();
    expect(ofType(sink.events, "ActorHandlerFailed")[0]?.payload).toEqual({ actor: "thrower", event: "scenario:0", error: "plain string" });
  });
});

describe("Simulation: timers", () => {
  it("fires an actor's timers in expiry order, and what their handlers publish carries the arming cause", () => {
    // given an actor that, on Ping, arms three timers: 300 ns, 100 ns and another 100 ns
    const { sim, sink } = setUp();
    const clock = recorder("clock", ["ping"], (_e, ctx) => {
      for (const [name, delay] of [["slow", 300], ["fast", 100], ["fast-too", 100]] as const) {
        ctx.timer(name, (t) => {
          ctx.publish(Tick, "tick", { timer: t.name });
          return "norestart";
        }).start(delay);
      }
    });
    sim.addActor(clock.spec);
    sim.input("scenario", Ping, "ping", { n: 0 }, 1000);
    // when run
    sim.run();
    // then the ticks come at 1100, 1100 and 1300, the 100 ns ones in the order they were armed
    const ticks = ofType(sink.events, "Tick");
    expect(ticks.map((e) => [e.timeNs, (e.payload as { timer: string }).timer])).toEqual([
      [1100, "clock/fast"],
      [1100, "clock/fast-too"],
      [1300, "clock/slow"],
    ]);
    // and each names the Ping that armed it, one depth below the expiry
    for (const t of ticks) expect(t).toMatchObject({ cause: "scenario:0", depth: 1, source: "clock" });
  });

  it("runs a periodic timer (forward + restart) at exact multiples of its period", () => {
    const { sim, sink } = setUp();
    sim.addActor({
      name: "poller",
      subscribes: [],
      create: (ctx) => {
        ctx.timer("poll", (t) => {
          ctx.publish(Tick, "tick", { timer: t.name });
          t.forward(1_000);
          return "restart";
        }).start(1_000);
        return { handle: () => {}, snapshot: () => null };
      },
    });
    sim.run({ untilNs: 5_500 });
    expect(ofType(sink.events, "Tick").map((e) => e.timeNs)).toEqual([1_000, 2_000, 3_000, 4_000, 5_000]);
    expect(ofType(sink.events, "Tick").every((e) => e.cause === null)).toBe(true);
  });

  it("records an ActorHandlerFailed naming the timer when a timer handler throws", () => {
    const { sim, sink } = setUp();
    sim.addActor({
      name: "watchdog",
      subscribes: [],
      create: (ctx) => {
        ctx.timer("job-timeout", () => {
          throw new RangeError("no job");
        }).start(50);
        return { handle: () => {}, snapshot: () => null };
      },
    });
    sim.run();
    expect(ofType(sink.events, "ActorHandlerFailed")[0]).toMatchObject({
      timeNs: 50,
      payload: { actor: "watchdog", event: "watchdog/job-timeout", error: "RangeError: no job" },
    });
  });
});

describe("Simulation: run bounds and stopping", () => {
  function tenPings(sim: Simulation): void {
    for (let i = 0; i < 10; i++) sim.input("scenario", Ping, "ping", { n: i }, i * 100);
  }

  it("ends an unbounded run when idle with a RunEnded event counting itself", () => {
    const { sim, sink } = setUp();
    tenPings(sim);
    const outcome = sim.run();
    expect(outcome).toEqual({ reason: "idle", endTimeNs: 900, events: 11 });
    expect(sink.events.at(-1)).toMatchObject({ type: "RunEnded", timeNs: 900, seq: 10, source: "runtime", payload: { reason: "idle", events: 11 } });
  });

  it("stops after the event with seq untilSeq, without a RunEnded", () => {
    // given ten pings
    const { sim, sink } = setUp();
    tenPings(sim);
    // when run until seq 3
    const outcome = sim.run({ untilSeq: 3 });
    // then exactly seq 0..3 were delivered
    expect(sink.events.map((e) => e.seq)).toEqual([0, 1, 2, 3]);
    expect(outcome).toEqual({ reason: "until", endTimeNs: 300, events: 4 });
    expect(ofType(sink.events, "RunEnded")).toEqual([]);
  });

  it("stops after the very first event with untilSeq 0", () => {
    const { sim, sink } = setUp();
    tenPings(sim);
    sim.run({ untilSeq: 0 });
    expect(sink.events).toHaveLength(1);
  });

  it("ends a run bounded by untilNs with a RunEnded at exactly untilNs, leaving later events undelivered", () => {
    // given pings every 100 ns up to 900
    const { sim, sink } = setUp();
    tenPings(sim);
    // when run until 450 ns
    const outcome = sim.run({ untilNs: 450 });
    // then pings at 0..400 were delivered and the run ended at 450 with work still pending
    expect(ofType(sink.events, "Ping").map((e) => e.timeNs)).toEqual([0, 100, 200, 300, 400]);
    expect(outcome).toEqual({ reason: "duration", endTimeNs: 450, events: 6 });
    expect(sink.events.at(-1)).toMatchObject({ type: "RunEnded", timeNs: 450, payload: { reason: "duration", events: 6 } });
    expect(sim.scheduler.nowNs).toBe(450);
  });

  it("ends an idle run bounded by untilNs at the bound, not at its last event", () => {
    const { sim, sink } = setUp();
    sim.input("scenario", Ping, "ping", { n: 0 }, 10);
    const outcome = sim.run({ untilNs: 1_000_000 });
    expect(outcome).toEqual({ reason: "idle", endTimeNs: 1_000_000, events: 2 });
    expect(sink.events.at(-1)).toMatchObject({ type: "RunEnded", timeNs: 1_000_000 });
  });

  it("delivers an event due exactly at untilNs", () => {
    const { sim, sink } = setUp();
    tenPings(sim);
    sim.run({ untilNs: 400 });
    expect(ofType(sink.events, "Ping").map((e) => e.timeNs).at(-1)).toBe(400);
  });

  it("delivers what an actor does in reaction to RunEnded, in the same instant", () => {
    const { sim, sink } = setUp();
    sim.addActor(recorder("closer", ["sys.run.ended"], (_e, ctx) => ctx.publish(Pong, "pong", { n: 9 })).spec);
    sim.input("scenario", Ping, "ping", { n: 0 }, 5);
    sim.run({ untilNs: 50 });
    expect(summary(sink.events)).toEqual(["5/0/scenario:0:Ping", "50/0/runtime:0:RunEnded", "50/1/closer:0:Pong"]);
  });

  it("stops the run after the event being delivered when stop() is called", () => {
    // given ten pings and a watcher that stops the run at the fourth
    const { sim, sink } = setUp();
    tenPings(sim);
    sim.delivered().subscribe((e) => {
      if (e.seq === 3) sim.stop();
    });
    // when run
    const outcome = sim.run({ untilNs: 10_000 });
    // then nothing after seq 3 was delivered, and no RunEnded
    expect(sink.events.map((e) => e.seq)).toEqual([0, 1, 2, 3]);
    expect(outcome.reason).toBe("until");
    expect(outcome.events).toBe(4);
    // and a later run does nothing
    expect(sim.run().events).toBe(4);
  });

  it("reports progress every progressEvery events", () => {
    const { sim } = setUp();
    tenPings(sim);
    const progress: [number, number][] = [];
    sim.run({ progressEvery: 4, onProgress: (t, n) => progress.push([t, n]) });
    expect(progress).toEqual([[300, 4], [700, 8]]);
  });

  it("stops delivering to actors and closes its sink on close()", async () => {
    // given a hosted actor and a sink that notes being closed
    const { sim, sink } = setUp();
    let closed = false;
    const close = sink.close.bind(sink);
    sink.close = () => ((closed = true), close());
    const watcher = recorder("watcher", ["ping"]);
    sim.addActor(watcher.spec);
    // when the simulation is closed and an event appears on the bus anyway
    await sim.close();
    sim.bus.publish(
      makeEnvelope({ id: "x:0", run: RUN, seq: 0, timeNs: 0, depth: 0, source: "x", subject: "tyrsim.r1.ping", type: "Ping", cause: null, payload: { n: 0 } }),
    );
    // then the actor hears nothing and the sink was closed
    expect(watcher.received).toEqual([]);
    expect(closed).toBe(true);
  });
});

