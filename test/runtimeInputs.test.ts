import { describe, expect, it } from "vitest";
import { inputTransports, queued } from "./support/liveInputs.ts";
import { subjectOf } from "../shared/events/subjects.ts";
import { MemoryLogSink } from "../shared/log/jsonlSink.ts";
import { INJECT_PATH } from "../shared/runtime/simulation.ts";
import { parseScenario } from "../shared/scenario/loadScenario.ts";
import { createCatalogue } from "../services/catalogue.ts";
import { setUpSimulation } from "../runtime/embeddedRun.ts";

const scenarioText = ["name: inputs", "duration: 1ms"].join("\n");


const transports = inputTransports({ memory: "memory", nats: "nats" }, "tyrsim-test-inputs");

describe.each(transports)("outside inputs over the %s transport", (kind, make) => {
  it("logs a malformed message as MessageRejected naming subject, field and reason, and keeps accepting inputs", async () => {
    // given a live simulation listening for injected inputs
    const transport = await make();
    const registry = createCatalogue();
    const run = `inputs-${kind}-${process.pid}`;
    const scenario = parseScenario(scenarioText.replace("name: inputs", `name: ${run}`), "inputs.yaml", registry);
    const sink = new MemoryLogSink();
    const sim = setUpSimulation({ loaded: { file: "inputs.yaml", text: scenarioText, scenario }, seed: 1, sink, external: transport, acceptInputs: true });
    const subject = subjectOf(sim.runId, INJECT_PATH);
    // when a client publishes garbage, a payload with a bad field, then a valid input
    transport.publish(subject, "{not json");
    transport.publish(subject, JSON.stringify({ type: "PowerOnRequested", payload: { domain: "l9", mask: 1 } }));
    transport.publish(subject, JSON.stringify({ type: "PowerOnRequested", payload: { domain: "l2", mask: 1 }, atNs: 5000, path: "gpu0.pwr.cmd" }));
    await transport.flush();
    await queued(sim, 3);
    sim.run({ untilNs: 1_000_000 });
    await sim.close();
    await transport.close();
    // then both bad messages are on the log as rejections, and the valid one reached the power controller
    const rejected = sink.events.filter((e) => e.type === "MessageRejected").map((e) => e.payload as { subject: string; field: string; reason: string });
    expect(rejected.map((r) => [r.subject, r.field])).toEqual([
      [subject, "(json)"],
      [subject, "payload.domain"],
    ]);
    expect(rejected[1]?.reason).toMatch(/l2|tiler|shader|option/);
    const injected = sink.events.find((e) => e.source === "injector" && e.type !== "MessageRejected");
    expect(injected).toMatchObject({ type: "PowerOnRequested", timeNs: 5000, payload: { domain: "l2", mask: 1 } });
    expect(sink.events.some((e) => e.type === "PowerTransitionStarted" && e.cause === injected?.id)).toBe(true);
  });
});
