import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Envelope } from "../../shared/events/envelope.ts";
import { subjectOf } from "../../shared/events/subjects.ts";
import { JsonlLogSink } from "../../shared/log/jsonlSink.ts";
import type { ActorHost } from "../../shared/runtime/actorHost.ts";
import { loadScenarioFile, parseScenario, type LoadedScenario } from "../../shared/scenario/loadScenario.ts";
import { createCatalogue } from "../../services/catalogue.ts";
import { MemoryWritten } from "../../services/memory/memoryEvents.ts";
import { encodeWrite } from "../../services/memory/memoryWrites.ts";
import { headerOf, runEmbedded, runIdOf } from "../embeddedRun.ts";
import { Coordinator, type RemoteService } from "./coordinator.ts";
import { HostRebuild } from "./hostRebuild.ts";
import { buildServiceHost, inProcessServices } from "./inProcessServices.ts";
import { SERVICE_KINDS } from "./partition.ts";
import type { LevelRequest } from "./protocol.ts";
import { HeldBackDeliveryError, handleLevel } from "./serviceHostLink.ts";

/** What the services of a coordinated run were sent. */
interface Sent {
  requests: number;
  /** Held-back levels that came with later requests. */
  earlier: number;
}

/** The coordinator over in-process services (`strip`: without owned patterns, so nothing is held back); its log digest, rounds and what was sent. */
async function coordinated(loaded: LoadedScenario, seed: number, strip: boolean): Promise<{ digest: string; rounds: number; sent: Sent }> {
  const run = runIdOf(loaded.scenario, seed);
  const sink = new JsonlLogSink(join(mkdtempSync(join(tmpdir(), "tyrsim-held-")), "events.jsonl"));
  sink.writeHeader(headerOf(loaded, seed));
  const sent: Sent = { requests: 0, earlier: 0 };
  const services = inProcessServices(run, seed, loaded.scenario).map((s): RemoteService => {
    const { ownedPatterns, ...rest } = s;
    const counted: RemoteService = {
      ...rest,
      exchange: (req) => {
        sent.requests++;
        sent.earlier += req.earlier?.length ?? 0;
        return s.exchange(req);
      },
    };
    return strip || ownedPatterns === undefined ? counted : { ...counted, ownedPatterns };
  });
  const coordinator = new Coordinator({ run, sink, services });
  coordinator.queueSteps(loaded.scenario);
  await coordinator.run(loaded.scenario.duration);
  await sink.close();
  return { digest: sink.digest.hex(), rounds: coordinator.rounds, sent };
}

/** A `MemoryWritten` of `bytes` at `pa` by the CPU, as delivered at `timeNs`. */
function memoryWrite(run: string, seq: number, timeNs: number, pa: number, bytes: number[]): Envelope {
  const payload = encodeWrite("cpu", pa, new Uint8Array(bytes));
  return { id: `drv0:${seq}`, run, seq, timeNs, depth: 0, source: "drv0", subject: subjectOf(run, "gpu0.mem.write"), type: MemoryWritten.type, cause: null, payload };
}

/** How many writes the memory replica hosted by `host` has applied. */
const writesOf = (host: ActorHost): number => (host.hosted().get("gpu0.mem")?.behaviour.snapshot() as { writes: number }).writes;

/** A request at `timeNs` with no events of its own, carrying `earlier`. */
const requestWith = (round: number, timeNs: number, earlier: NonNullable<LevelRequest["earlier"]>): LevelRequest => ({ round, level: { timeNs, depth: 0 }, events: [], stopBefore: null, earlier });

describe("memory writes held back for a service's shadows", () => {
  it("wait, for all the GPUs a process hosts together, within one budget: a process's requests travel in one message", async () => {
    // given 4 GPUs, each probed and then running a game client that starts at the same instant,
    // over services that each host every GPU (one process per actor kind, one remote service per GPU)
    const registry = createCatalogue();
    const clients = [0, 1, 2, 3].map((g) => `  - { name: game, gpu: ${g}, frames: 1, fps: 60, priority: medium, vertices: 60000, width: 1280, height: 720, framesInFlight: 2 }`);
    const text = ["name: frames-fleet-4", "description: a game client on every GPU", "model: mali-g610-rk3588", "gpus: 4", "duration: 40ms", "steps:", '  - { at: 10us, type: DeviceBindRequested, path: "drv{gpu}.bind", payload: {} }', "workload:", ...clients, ""].join("\n");
    const loaded: LoadedScenario = { file: "frames-fleet-4.yaml", text, scenario: parseScenario(text, "frames-fleet-4.yaml", registry) };
    const run = runIdOf(loaded.scenario, 3);
    const sink = new JsonlLogSink(join(mkdtempSync(join(tmpdir(), "tyrsim-held-")), "events.jsonl"));
    sink.writeHeader(headerOf(loaded, 3));
    const budget = 4096;
    const heldPerProcess = new Map<string, number>();
    let largest = 0;
    let round = -1;
    const services = inProcessServices(run, 3, loaded.scenario).map((s): RemoteService => {
      const process = s.name.replace(/-\d+$/, "");
      return {
        ...s,
        name: process,
        exchange: (req) => {
          if (req.round !== round) {
            round = req.round;
            heldPerProcess.clear();
          }
          const bytes = (req.earlier ?? []).flatMap((l) => l.events).reduce((n, e) => n + 256 + JSON.stringify(e.payload).length, 0);
          const total = (heldPerProcess.get(process) ?? 0) + bytes;
          heldPerProcess.set(process, total);
          largest = Math.max(largest, total);
          return s.exchange(req);
        },
      };
    });
    // when the coordinator runs it with a small budget for held-back events
    const coordinator = new Coordinator({ run, sink, services, heldBackBytes: budget });
    coordinator.queueSteps(loaded.scenario);
    await coordinator.run(loaded.scenario.duration);
    await sink.close();
    const embedded = await runEmbedded({ loaded, seed: 3, outDir: mkdtempSync(join(tmpdir(), "tyrsim-emb-")) });
    // then events were held back, but never more than the budget for one process's GPUs together, and the log is the embedded run's
    expect(largest).toBeGreaterThan(0);
    expect(largest).toBeLessThanOrEqual(budget);
    expect(sink.digest.hex()).toBe(embedded.digest);
  });

  it("go with the service's next request instead of a request of their own: fewer exchanges, the same rounds, and the embedded log", async () => {
    // given the submit scenario over one service per actor kind, each shadowing the memory replica
    const loaded = loadScenarioFile("scenarios/submit.yaml", createCatalogue());
    // when the coordinator runs it holding shadow-only shares back, and again sending every share at once
    const held = await coordinated(loaded, 2, false);
    const plain = await coordinated(loaded, 2, true);
    const embedded = await runEmbedded({ loaded, seed: 2, outDir: mkdtempSync(join(tmpdir(), "tyrsim-emb-")) });
    // then both logs are the embedded run's, in as many rounds, but holding back took far fewer exchanges
    expect(held.digest).toBe(embedded.digest);
    expect(plain.digest).toBe(embedded.digest);
    expect(held.rounds).toBe(plain.rounds);
    expect(held.sent.earlier).toBeGreaterThan(0);
    expect(plain.sent.earlier).toBe(0);
    expect(held.sent.requests).toBeLessThan(plain.sent.requests * 0.9);
  });

  it("are applied by the shadows first, each at its own level, before the request's level", () => {
    // given a driver service, whose memory replica is a shadow
    const loaded = loadScenarioFile("scenarios/probe.yaml", createCatalogue());
    const { host } = buildServiceHost("probe-1", 1, loaded.scenario, "driver", new Set([0]));
    // when a request carries two held-back memory writes
    const reply = handleLevel(
      host,
      requestWith(1, 2_000, [
        { level: { timeNs: 1_000, depth: 0 }, events: [memoryWrite("probe-1", 0, 1_000, 0x1000, [1, 2])] },
        { level: { timeNs: 1_500, depth: 0 }, events: [memoryWrite("probe-1", 1, 1_500, 0x1000, [3])] },
      ]),
    );
    // then the replica applied both, and nothing was published for them
    expect(writesOf(host)).toBe(2);
    expect(reply.drafts).toEqual([]);
    expect(host.nowNs).toBe(2_000);
  });

  it("are not applied again by a process that replayed them from the log when it was rebuilt", () => {
    // given a driver service rebuilt through 1.5 µs
    const loaded = loadScenarioFile("scenarios/probe.yaml", createCatalogue());
    const { host } = buildServiceHost("probe-1", 1, loaded.scenario, "driver", new Set([0]));
    const earlier = [
      { level: { timeNs: 1_000, depth: 0 }, events: [memoryWrite("probe-1", 0, 1_000, 0x1000, [1])] },
      { level: { timeNs: 1_800, depth: 0 }, events: [memoryWrite("probe-1", 1, 1_800, 0x1000, [2])] },
    ];
    // when a request carries writes from before and after that level
    handleLevel(host, requestWith(7, 2_000, earlier), { timeNs: 1_500, depth: 0 });
    // then only the one after it is applied
    expect(writesOf(host)).toBe(1);
  });

  it("are refused when one makes an actor publish: only shadows may get held-back events", () => {
    // given the memory service, whose replica is its own actor (it reports a write outside RAM)
    const loaded = loadScenarioFile("scenarios/probe.yaml", createCatalogue());
    const { host } = buildServiceHost("probe-1", 1, loaded.scenario, "memory", new Set([0]));
    // when a request carries such a write as held back
    const request = requestWith(1, 2_000, [{ level: { timeNs: 1_000, depth: 0 }, events: [memoryWrite("probe-1", 0, 1_000, 2 ** 52, [1])] }]);
    let error: unknown;
    try {
      handleLevel(host, request);
    } catch (e) {
      error = e;
    }
    // then the service refuses it, naming the level
    expect(error).toBeInstanceOf(HeldBackDeliveryError);
    expect((error as Error).message).toContain("1000 ns depth 0");
  });

  it("keep a service rebuilt from the log mid-run on the embedded log", async () => {
    // given the submit scenario whose shader service dies and is rebuilt from the log mid-run
    const loaded = loadScenarioFile("scenarios/submit.yaml", createCatalogue());
    const run = runIdOf(loaded.scenario, 4);
    const sink = new JsonlLogSink(join(mkdtempSync(join(tmpdir(), "tyrsim-held-")), "events.jsonl"));
    sink.writeHeader(headerOf(loaded, 4));
    const log: Envelope[] = [];
    const ref: { coordinator?: Coordinator } = {};
    let skipped = 0;
    const services: RemoteService[] = [];
    for (const kind of SERVICE_KINDS) {
      const built = buildServiceHost(run, 4, loaded.scenario, kind, new Set([0]));
      if (built.owned.length === 0) continue;
      let host = built.host;
      let through: { timeNs: number; depth: number } | null = null;
      services.push({
        name: kind,
        patterns: host.subscribedPatterns(),
        ownedPatterns: built.ownedPatterns,
        nextTimer: host.nextTimerKey() ?? null,
        exchange: (req) => {
          if (kind === "shader" && through === null && req.level.timeNs >= 3_000_000 && (req.earlier?.length ?? 0) > 0) {
            // the process dies; its successor rebuilds from the log up to where the coordinator is
            const fresh = buildServiceHost(run, 4, loaded.scenario, kind, new Set([0]));
            const resume = (ref.coordinator as Coordinator).resumePoint();
            const rebuild = new HostRebuild(fresh.host, fresh.owned);
            for (const e of log) if (e.seq < resume.beforeSeq) rebuild.feed(e);
            expect(rebuild.finish(resume.through).divergence).toBeUndefined();
            host = fresh.host;
            through = resume.through;
            skipped = req.earlier?.length ?? 0;
          }
          return Promise.resolve(handleLevel(host, req, through));
        },
      });
    }
    const coordinator = (ref.coordinator = new Coordinator({ run, sink, services, onDelivered: (e) => log.push(e) }));
    coordinator.queueSteps(loaded.scenario);
    await coordinator.run(loaded.scenario.duration);
    await sink.close();
    const embedded = await runEmbedded({ loaded, seed: 4, outDir: mkdtempSync(join(tmpdir(), "tyrsim-emb-")) });
    // then the successor took over with held-back writes in its first request, and the log is the embedded one
    expect(skipped).toBeGreaterThan(0);
    expect(sink.digest.hex()).toBe(embedded.digest);
  });
});
