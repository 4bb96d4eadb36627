import { describe, expect, it } from "vitest";
import { inputTransports, queued } from "./support/liveInputs.ts";
import { setUpSimulation } from "../runtime/embeddedRun.ts";
import { MemoryTransport } from "../shared/bus/memoryTransport.ts";
import type { Transport } from "../shared/bus/transport.ts";
import type { Envelope } from "../shared/events/envelope.ts";
import { subjectOf } from "../shared/events/subjects.ts";
import { MemoryLogSink } from "../shared/log/jsonlSink.ts";
import { INJECT_PATH } from "../shared/runtime/simulation.ts";
import { parseScenario } from "../shared/scenario/loadScenario.ts";
import { createCatalogue } from "../services/catalogue.ts";

const text = (run: string) => [`name: ${run}`, "duration: 5ms", "steps:", "  - { at: 0us, type: PowerOnRequested, path: gpu0.pwr.cmd, payload: { domain: l2, mask: 1 } }"].join("\n");
const valid = { type: "FaultInjected", payload: { fault: { kind: "dvfs-stuck" } }, atNs: 1_000_000 };
const bad = [
  { type: "FaultInjected", payload: { fault: { kind: "gpu-on-fire" } } },
  { type: "FaultInjected", payload: { fault: { kind: "irq-lost", line: "nmi" } } },
  { type: "FaultInjected", payload: { fault: { kind: "message-delay", subject: "gpu0.>", delayNs: 0 } } },
  { type: "FaultInjected", payload: { fault: { kind: "job-hang" }, trigger: { on: { eventType: "DoorbellRung" } } } },
];


/** A live run fed `messages` over `transport`; its log. */
async function runWith(transport: Transport, run: string, messages: readonly unknown[]): Promise<Envelope[]> {
  const registry = createCatalogue();
  const sink = new MemoryLogSink();
  const loaded = { file: "inputs.yaml", text: text(run), scenario: parseScenario(text(run), "inputs.yaml", registry) };
  const sim = setUpSimulation({ loaded, seed: 1, sink, external: transport, acceptInputs: true });
  const before = sim.scheduler.pending;
  for (const m of messages) transport.publish(subjectOf(sim.runId, INJECT_PATH), JSON.stringify(m));
  await transport.flush();
  await queued(sim, before + messages.length);
  sim.run({ untilNs: loaded.scenario.duration });
  await sim.close();
  await transport.close();
  return sink.events;
}

/** What a run did, rejections left out: types, times and payloads. */
// Rejected messages are inputs from `injector` too (replay re-feeds them), so they take injector ids:
// the valid fault's id shifts, and what matters is that nothing else changes.
const behaviour = (events: readonly Envelope[]) =>
  events
    .filter((e) => e.type !== "MessageRejected" && e.type !== "RunEnded")
    .map((e) => [e.timeNs, e.source, e.type, JSON.parse(JSON.stringify(e.payload).replace(/injector:\d+/g, "injector:*")) as unknown]);

const transports = inputTransports({ memory: "embedded (in-memory)", nats: "NATS" }, "tyrsim-test-faults");

describe.each(transports)("fault inputs over the %s transport", (kind, make) => {
  it("rejects an unknown kind, a malformed fault, a zero message delay and an invisible trigger as MessageRejected, and they change nothing", async () => {
    // given a live run, and a client publishing four bad faults and one good one
    const run = `faults-${kind.startsWith("NATS") ? "nats" : "memory"}-${process.pid}`;
    const events = await runWith(await make(), run, [...bad, valid]);
    // then each bad one is on the log as a rejection naming field and reason
    const rejected = events.filter((e) => e.type === "MessageRejected").map((e) => e.payload as { field: string; reason: string });
    expect(rejected.map((r) => r.field)).toEqual(["payload.fault.kind", "payload.fault.line", "payload.fault.delayNs", "payload.trigger.on.eventType"]);
    // and only the good one reached an actor: the same run with the good one alone behaves identically
    expect(events.filter((e) => e.type === "FaultApplied").map((e) => (e.payload as { kind: string }).kind)).toEqual(["dvfs-stuck"]);
    const alone = await runWith(new MemoryTransport(), run, [valid]);
    expect(behaviour(events)).toEqual(behaviour(alone));
  });
});
