import { describe, expect, it } from "vitest";
import { INJECT_PATH } from "./simulation.ts";
import { ofType, Ping, recorder, RUN, setUp, summary } from "../../test/support/simulationHarness.ts";

describe("Simulation: outside inputs", () => {
  const injectSubject = `tyrsim.${RUN}.${INJECT_PATH}`;

  it("delivers a valid raw JSON input published on fault.inject as an event from source injector", () => {
    // given a live run accepting inputs
    const { sim, sink } = setUp({ acceptInputs: true });
    // when a client publishes a JSON string on tyrsim.r1.fault.inject
    sim.bus.transport.publish(injectSubject, JSON.stringify({ type: "FaultInjected", payload: { as: 3 }, atNs: 500 }));
    sim.run();
    // then it is logged as an input from the injector, at the time it asked for
    expect(summary(sink.events)).toEqual(["500/0/injector:0:FaultInjected", "500/0/runtime:0:RunEnded"]);
    expect(sink.events[0]).toMatchObject({ subject: injectSubject, cause: null, payload: { as: 3 } });
  });

  it("delivers an input without atNs at the next instant once the run has begun (replay can then re-feed it at the same place)", () => {
    const { sim, sink } = setUp({ acceptInputs: true });
    sim.input("scenario", Ping, "ping", { n: 0 }, 700);
    sim.run();
    sim.bus.transport.publish(injectSubject, JSON.stringify({ type: "FaultInjected", payload: { as: 1 } }));
    sim.run();
    expect(ofType(sink.events, "FaultInjected")[0]).toMatchObject({ timeNs: 701, source: "injector" });
  });

  it("accepts inputs as bytes too", () => {
    const { sim, sink } = setUp({ acceptInputs: true });
    sim.bus.transport.publish(injectSubject, new TextEncoder().encode(JSON.stringify({ type: "FaultInjected", payload: { as: 4 } })));
    sim.run();
    expect(ofType(sink.events, "FaultInjected")).toHaveLength(1);
  });

  it("records a malformed input as MessageRejected naming subject, field and reason, and still takes a valid one after", () => {
    // given a live run accepting inputs
    const { sim, sink } = setUp({ acceptInputs: true });
    // when a bad payload, broken JSON and then a valid input arrive
    sim.bus.transport.publish(injectSubject, JSON.stringify({ type: "FaultInjected", payload: { as: 99 } }));
    sim.bus.transport.publish(injectSubject, "{not json");
    sim.bus.transport.publish(injectSubject, JSON.stringify({ type: "FaultInjected", payload: { as: 2 } }));
    sim.run();
    // then both rejections are on the log with subject, field and reason
    const rejections = ofType(sink.events, "MessageRejected");
    expect(rejections.map((e) => e.payload)).toEqual([
      expect.objectContaining({ subject: injectSubject, field: "payload.as", reason: expect.any(String) }),
      expect.objectContaining({ subject: injectSubject, field: "(json)", reason: expect.stringMatching(/^not valid JSON/), excerpt: "{not json" }),
    ]);
    // (from source injector: they came from outside, and replay must feed them again)
    for (const r of rejections) expect(r).toMatchObject({ source: "injector", subject: "tyrsim.r1.sys.error" });
    // and the valid input was delivered
    expect(ofType(sink.events, "FaultInjected").map((e) => e.payload)).toEqual([{ as: 2 }]);
  });

  it("rejects an input of an unknown type, naming the type", () => {
    const { sim, sink } = setUp({ acceptInputs: true });
    sim.bus.transport.publish(injectSubject, JSON.stringify({ type: "GpuOnFire", payload: {} }));
    sim.run();
    expect(ofType(sink.events, "MessageRejected")[0]?.payload).toMatchObject({ field: "type", reason: expect.stringContaining("GpuOnFire") });
  });

  it("ignores inputs when acceptInputs is off", () => {
    const { sim, sink } = setUp();
    sim.bus.transport.publish(injectSubject, JSON.stringify({ type: "FaultInjected", payload: { as: 3 } }));
    sim.bus.transport.publish(injectSubject, "{bad");
    sim.run();
    expect(sink.events.map((e) => e.type)).toEqual(["RunEnded"]);
  });

  // Regression: raw input text on a subject an actor listens to must reach the actor only as the
  // logged event, and no stray rejection may bypass the log.
  it("lets an actor subscribed to everything receive an injected input, with no rejection logged", () => {
    const { sim, sink } = setUp({ acceptInputs: true });
    const everything = recorder("everything", [">"]);
    sim.addActor(everything.spec);
    sim.bus.transport.publish(injectSubject, JSON.stringify({ type: "FaultInjected", payload: { as: 3 } }));
    sim.run();
    expect(sink.events.map((e) => e.type)).toEqual(["FaultInjected", "RunEnded"]);
    expect(everything.received.map((e) => e.id)).toEqual(sink.events.map((e) => e.id));
  });
});

