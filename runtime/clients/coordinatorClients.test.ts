import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MemoryTransport } from "../../shared/bus/memoryTransport.ts";
import { NoRespondersError } from "../../shared/bus/transport.ts";
import { JsonlLogSink } from "../../shared/log/jsonlSink.ts";
import { loadGpuModel } from "../../shared/gpu/loadModel.ts";
import { createCatalogue } from "../../services/catalogue.ts";
import { buildWorld } from "../../services/world.ts";
import { attachClient, deadbeefSession, embeddedSession, eventLines, loadedClientScenario } from "../../test/support/clientSession.ts";
import { headerOf, runIdOf } from "../embeddedRun.ts";
import { Coordinator } from "../multiprocess/coordinator.ts";
import { inProcessServices } from "../multiprocess/inProcessServices.ts";
import { clientSubject, ClientReplySchema } from "./clientProtocol.ts";
import { CoordinatorClients } from "./coordinatorClients.ts";

/** A coordinator over in-process services of the bare-device scenario, serving clients on an in-memory transport. */
function coordinatedRun(seed: number) {
  const loaded = loadedClientScenario();
  const run = runIdOf(loaded.scenario, seed);
  const log = join(mkdtempSync(join(tmpdir(), "tyrsim-coord-clients-")), "events.jsonl");
  const sink = new JsonlLogSink(log);
  sink.writeHeader(headerOf(loaded, seed));
  const services = inProcessServices(run, seed, loaded.scenario);
  const coordinator = new Coordinator({ run, sink, services });
  coordinator.queueSteps(loaded.scenario);
  const transport = new MemoryTransport();
  const actors = buildWorld(loaded.scenario, loadGpuModel(loaded.scenario.model)).map((a) => a.name);
  const clients = new CoordinatorClients(coordinator, run, actors, transport, createCatalogue(), loaded.scenario.duration);
  const ended = (async () => {
    const outcome = await coordinator.run(loaded.scenario.duration, clients.beforeLevel);
    await clients.close();
    await sink.close();
    return outcome;
  })();
  return { run, log, transport, coordinator, ended };
}

describe("the client API on the multi-process coordinator", () => {
  it("holds virtual time until a client attaches, then plays its session into the log the embedded runtime writes for it", async () => {
    // given a coordinated run serving clients
    const seed = 31;
    const r = coordinatedRun(seed);
    // when nothing attaches for a while, time stands still at 0
    await new Promise((res) => setTimeout(res, 50));
    expect(r.coordinator.eventCount).toBe(0);
    // and when a client attaches and runs the deadbeef session
    const ch = await attachClient(r.transport, r.run, "app");
    const bytes = await deadbeefSession(ch);
    await ch.detach();
    await r.ended;
    // then the GPU stored 0xdeadbeef and the log equals the in-process session's, line for line
    const local = await embeddedSession(seed, "client-api.yaml");
    expect(bytes).toEqual([0xef, 0xbe, 0xad, 0xde]);
    const remote = eventLines(r.log);
    const firstDifference = remote.findIndex((line, i) => line !== local.events[i]);
    expect({ at: firstDifference, remote: remote[firstDifference], local: local.events[firstDifference] }).toEqual({ at: -1, remote: undefined, local: undefined });
    expect(remote.length).toBe(local.events.length);
  }, 60_000);

  it("answers bad messages with an error naming the field, and nobody answers once the run has ended", async () => {
    // given a coordinated run serving clients
    const r = coordinatedRun(32);
    const ask = async (msg: unknown) => ClientReplySchema.parse(JSON.parse((await r.transport.request(clientSubject(r.run), typeof msg === "string" ? msg : JSON.stringify(msg), { timeoutMs: 10_000 })).data as string));
    // when a client sends broken messages
    const notJson = await ask("{nope");
    const badAdvance = await ask({ op: "advance", client: "app", ns: -1 });
    const actorName = await ask({ op: "attach", client: "drv0" });
    const ch = await attachClient(r.transport, r.run, "app");
    const unknownType = await ask({ op: "request", client: "app", type: "NoSuchEvent", path: "drv0.ioctl", payload: {}, answer: { types: ["IoctlCompleted"], tag: "x" } });
    const badPayload = await ask({ op: "request", client: "app", type: "IoctlIssued", path: "drv0.ioctl", payload: { file: -1 }, answer: { types: ["IoctlCompleted"], tag: "x" } });
    // then each is refused with its reason, time has not moved, and the session still works
    expect(notJson).toMatchObject({ ok: false, error: expect.stringContaining("not valid JSON") });
    expect(badAdvance).toMatchObject({ ok: false, error: expect.stringMatching(/^ns: /) });
    expect(actorName).toMatchObject({ ok: false, error: expect.stringContaining("'drv0' is the name of a simulation source") });
    expect(unknownType).toMatchObject({ ok: false, nowNs: 0, error: expect.stringContaining("unknown event type 'NoSuchEvent'") });
    expect(badPayload).toMatchObject({ ok: false, nowNs: 0, error: expect.stringMatching(/^payload\.file/) });
    expect(r.coordinator.eventCount).toBe(0);
    await ch.advance(3_000_000);
    expect(ch.nowNs()).toBeGreaterThan(0);
    expect(ch.nowNs()).toBeLessThanOrEqual(3_000_000);
    await ch.detach();
    const outcome = await r.ended;
    // and after the run's end a request finds no responder instead of hanging
    expect(outcome.endTimeNs).toBe(200_000_000);
    await expect(ch.advance(1)).rejects.toBeInstanceOf(NoRespondersError);
  }, 60_000);
});
