import { NEVER } from "rxjs";
import { describe, expect, it } from "vitest";
import type { Transport, TransportData } from "../bus/transport.ts";
import type { Envelope } from "../events/envelope.ts";
import { EventRegistry } from "../events/registry.ts";
import { systemEvents } from "../events/systemEvents.ts";
import { eventLine, type LogSink } from "../log/logFormat.ts";
import { Ping, RUN, SEED } from "../../test/support/simulationHarness.ts";
import { Simulation } from "./simulation.ts";

/** A transport that sends text (as NATS does) and records what is published on it. */
function textTransport(): Transport & { readonly sent: { subject: string; data: TransportData }[] } {
  const sent: { subject: string; data: TransportData }[] = [];
  return {
    kind: "nats",
    sent,
    publish: (subject, data) => void sent.push({ subject, data }),
    subscribe: () => NEVER,
    request: () => Promise.reject(new Error("no requests in this test")),
    flush: () => Promise.resolve(),
    status: () => NEVER,
    close: () => Promise.resolve(),
  };
}

/** A log sink that takes lines, recording how each event reached it. */
function lineSink(): LogSink & { readonly got: string[] } {
  const got: string[] = [];
  return {
    got,
    writeHeader: () => {},
    append: (e: Envelope) => void got.push(`event ${e.id}`),
    appendLine: (_e: Envelope, line: string) => void got.push(line),
    close: () => Promise.resolve(),
  };
}

describe("Simulation mirrored on a text transport", () => {
  it("logs and mirrors each event as the same canonical line, made once", () => {
    // given a run whose log takes lines, mirrored on a transport that sends text
    const registry = new EventRegistry().register(...systemEvents, Ping);
    const sink = lineSink();
    const external = textTransport();
    const sim = new Simulation({ run: RUN, seed: SEED, registry, sink, external });
    const delivered: Envelope[] = [];
    sim.delivered().subscribe((e) => delivered.push(e));
    // when two inputs are delivered and the run ends
    sim.input("scenario", Ping, "gpu0.ping", { n: 0 }, 0);
    sim.input("scenario", Ping, "gpu0.ping", { n: 1 }, 10);
    sim.run();
    // then the log got every event's line, and the transport the very same text on its subject
    const lines = delivered.map(eventLine);
    expect(lines).toHaveLength(3);
    expect(sink.got).toEqual(lines);
    expect(external.sent).toEqual(delivered.map((e, i) => ({ subject: e.subject, data: lines[i] })));
  });
});
