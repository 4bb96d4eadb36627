import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { JsonlLogSink, MemoryLogSink } from "../../shared/log/jsonlSink.ts";
import type { Draft } from "../../shared/runtime/draft.ts";
import { loadScenarioFile, parseScenario, type LoadedScenario } from "../../shared/scenario/loadScenario.ts";
import { createCatalogue } from "../../services/catalogue.ts";
import { headerOf, runEmbedded, runIdOf } from "../embeddedRun.ts";
import { Coordinator, type RemoteService } from "./coordinator.ts";
import { LookaheadViolationError } from "./partitionedQueue.ts";
import { inProcessGpuServices, inProcessServices } from "./inProcessServices.ts";

/** Which in-process services a test deploys: per actor kind, or whole GPUs. */
type Deploy = (run: string, seed: number, scenario: LoadedScenario["scenario"]) => RemoteService[];

/** Run `loaded` with the coordinator over `deploy`'s in-process services; its outcome, rounds and digest. */
async function coordinated(loaded: LoadedScenario, seed: number, deploy: Deploy = inProcessServices, lookahead?: boolean) {
  const run = runIdOf(loaded.scenario, seed);
  const sink = new JsonlLogSink(join(mkdtempSync(join(tmpdir(), "tyrsim-coord-")), "events.jsonl"));
  sink.writeHeader(headerOf(loaded, seed));
  const services = deploy(run, seed, loaded.scenario);
  const coordinator = new Coordinator({ run, sink, services, ...(lookahead !== undefined ? { lookahead } : {}) });
  coordinator.queueSteps(loaded.scenario);
  const outcome = await coordinator.run(loaded.scenario.duration);
  await sink.close();
  return { services, events: outcome.events, rounds: coordinator.rounds, digest: sink.digest.hex(), ahead: coordinator.steppingAhead };
}

/** The embedded run of the same scenario and seed (the log every coordinated run must equal). */
const embeddedOf = (loaded: LoadedScenario, seed: number) => runEmbedded({ loaded, seed, outDir: mkdtempSync(join(tmpdir(), "tyrsim-emb-")) });

describe.each(["boot.yaml", "probe.yaml", "probe-failures.yaml", "dvfs.yaml"])("the coordinator on %s", (file) => {
  it("produces the embedded runtime's log, byte for byte, with every actor kind in its own service", async () => {
    // given the scenario split over one service per actor kind, each with its own world and memory replica
    const loaded = loadScenarioFile(join("scenarios", file), createCatalogue());
    // when the coordinator runs it
    const r = await coordinated(loaded, 3);
    // then the log equals the embedded run's
    const embedded = await embeddedOf(loaded, 3);
    expect(r.services.length).toBeGreaterThanOrEqual(5);
    expect(r.events).toBe(embedded.events);
    expect(r.digest).toBe(embedded.digest);
  });
});

describe("the coordinator on a fleet", () => {
  it("reproduces the embedded log with every GPU's actors in services of their own", async () => {
    // given the fleet scenario cut down to 3 GPUs, one service per actor kind and GPU
    const registry = createCatalogue();
    const text = readFileSync("scenarios/fleet.yaml", "utf8").replace(/^gpus: 16$/m, "gpus: 3");
    const loaded = { file: "fleet.yaml", text, scenario: parseScenario(text, "fleet.yaml", registry) };
    const r = await coordinated(loaded, 5);
    const embedded = await embeddedOf(loaded, 5);
    expect(r.services.map((s) => s.name)).toContain("power-2");
    expect(r.digest).toBe(embedded.digest);
  });
});

describe("the coordinator's lookahead", () => {
  const fleetOf = (gpus: number, extraSteps = "") => {
    const registry = createCatalogue();
    const text = readFileSync("scenarios/fleet.yaml", "utf8").replace(/^gpus: 16$/m, `gpus: ${gpus}`).replace(/count: 90/g, "count: 8") + extraSteps;
    return { file: "fleet.yaml", text, scenario: parseScenario(text, "fleet.yaml", registry) };
  };

  it("steps the GPUs of a fleet side by side in fewer rounds, and still writes the embedded log", async () => {
    // given a 4-GPU fleet (jittered clocks: the GPUs' instants do not line up) in one service per kind and GPU
    const loaded = fleetOf(4);
    // when it runs level by level, and with lookahead
    const sync = await coordinated(loaded, 7, inProcessServices, false);
    const ahead = await coordinated(loaded, 7, inProcessServices, true);
    // then both logs are the embedded run's, and lookahead needed fewer rounds
    const embedded = await embeddedOf(loaded, 7);
    expect(sync.ahead).toBe(false);
    expect(ahead.ahead).toBe(true);
    expect(sync.digest).toBe(embedded.digest);
    expect(ahead.digest).toBe(embedded.digest);
    expect(ahead.rounds).toBeLessThan(sync.rounds * 0.8);
  });

  it("brings every GPU to a fault injected on fault.inject and steps in sync while a message fault is armed", async () => {
    // given a 3-GPU fleet where GPU 1's power-state answers are delayed twice, mid-run
    const loaded = fleetOf(
      3,
      "  - { at: 10300us, type: FaultInjected, path: fault.inject, payload: { fault: { kind: message-delay, subject: gpu1.pwr.state, delayNs: 30000, count: 2 }, label: two late power answers } }\n",
    );
    const embedded = await embeddedOf(loaded, 4);
    expect(embedded.eventsByType["MessageDelayed"]).toBe(2);
    // when the coordinator runs it with lookahead
    const ahead = await coordinated(loaded, 4, inProcessServices, true);
    // then the log is the embedded run's, delays included
    expect(ahead.digest).toBe(embedded.digest);
  });

  it("refuses an event that reaches a partition already run past its level, instead of reordering the log", async () => {
    // given two fake services: GPU 0 busy at 100 ns, GPU 1 whose timer at 10 ns publishes onto GPU 0's subject
    const services = (): RemoteService[] => {
      const stray: Draft = { id: "gpu1.x:1", timeNs: 10, depth: 1, source: "gpu1.x", n: 1, subject: "tyrsim.r.gpu0.irq", type: "Stray", cause: null, payload: {} };
      const idle = { drafts: [], nextTimer: null };
      return [
        { name: "a", partition: 0, actors: ["gpu0.x"], patterns: ["tyrsim.r.gpu0.>"], nextTimer: { timeNs: 100, depth: 0, source: "gpu0.x", n: 0 }, exchange: () => Promise.resolve(idle) },
        { name: "b", partition: 1, actors: ["gpu1.x"], patterns: ["tyrsim.r.gpu1.>"], nextTimer: { timeNs: 10, depth: 0, source: "gpu1.x", n: 0 }, exchange: () => Promise.resolve({ drafts: [stray], nextTimer: null }) },
      ];
    };
    // when it runs with lookahead, then the stray event is named as a lookahead violation
    await expect(new Coordinator({ run: "r", sink: new MemoryLogSink(), services: services() }).run(1000)).rejects.toThrow(LookaheadViolationError);
    await expect(new Coordinator({ run: "r", sink: new MemoryLogSink(), services: services() }).run(1000)).rejects.toThrow(/gpu1\.x:1 \(Stray on tyrsim\.r\.gpu0\.irq\) at 10 ns depth 1 reaches partition 0/);
    // and level by level the same services make a run (the stray event simply comes first)
    const sink = new MemoryLogSink();
    await new Coordinator({ run: "r", sink, services: services(), lookahead: false }).run(1000);
    expect(sink.events.map((e) => e.id)).toEqual(["gpu1.x:1", "runtime:0"]);
  });
});

/** Four GPUs with a game client each rendering four frames. */
function framesFour(): LoadedScenario {
  const clients = [0, 1, 2, 3].map((g) => `  - { name: game, gpu: ${g}, frames: 4, fps: 60, priority: medium, vertices: 60000, width: 1280, height: 720, framesInFlight: 2 }`);
  const text = ["name: frames-four", "description: x", "model: mali-g610-rk3588", "gpus: 4", "duration: 110ms", "steps:", '  - { at: 10us, type: DeviceBindRequested, path: "drv{gpu}.bind", payload: {} }', "workload:", ...clients, ""].join("\n");
  return { file: "frames-four.yaml", text, scenario: parseScenario(text, "frames-four.yaml", createCatalogue()) };
}

describe("the coordinator with whole-GPU services", () => {
  it("runs each GPU ahead on its own between barriers: a handful of rounds, and the embedded log", async () => {
    // given four GPUs with a game client each, in two whole-GPU services
    const loaded = framesFour();
    // when the coordinator runs it
    const r = await coordinated(loaded, 2, (run, seed, scenario) => inProcessGpuServices(run, seed, scenario, 2));
    // then thousands of events took a few rounds, and the log is the embedded run's
    const embedded = await embeddedOf(loaded, 2);
    expect(r.events).toBe(embedded.events);
    expect(r.events).toBeGreaterThan(3000);
    expect(r.rounds).toBeLessThan(20);
    expect(r.digest).toBe(embedded.digest);
  });

  it("writes each round's events to the log while the services work on the next round, and the log is still the embedded run's", async () => {
    // given four GPUs with a game client each, in two whole-GPU services that take a turn of the event loop to answer
    const loaded = framesFour();
    const run = runIdOf(loaded.scenario, 2);
    const sink = new JsonlLogSink(join(mkdtempSync(join(tmpdir(), "tyrsim-coord-")), "events.jsonl"));
    sink.writeHeader(headerOf(loaded, 2));
    let written = 0;
    const grewWhileAsked: boolean[] = [];
    const services = inProcessGpuServices(run, 2, loaded.scenario, 2).map((s): RemoteService => {
      const answer = s.exchangeBatch as NonNullable<RemoteService["exchangeBatch"]>;
      return {
        ...s,
        exchangeBatch: async (reqs, ahead) => {
          const before = written;
          await new Promise((resolve) => setImmediate(resolve));
          grewWhileAsked.push(written > before);
          return answer(reqs, ahead);
        },
      };
    });
    // when the coordinator runs it, counting the events written to the log
    const coordinator = new Coordinator({ run, sink, services, onDelivered: () => written++ });
    coordinator.queueSteps(loaded.scenario);
    const outcome = await coordinator.run(loaded.scenario.duration);
    await sink.close();
    // then the log grew while most requests were out, and it is the embedded run's
    expect(grewWhileAsked.filter(Boolean).length).toBeGreaterThan(grewWhileAsked.length / 2);
    expect(written).toBe(outcome.events);
    expect(sink.digest.hex()).toBe((await embeddedOf(loaded, 2)).digest);
  });

  it("queues repeated scenario steps ahead, so they are no barrier for whole GPUs, and still writes the embedded log", async () => {
    // given the fleet's power cycles (two repeated steps per GPU, 40 repetitions each) on three GPUs in whole-GPU services
    const registry = createCatalogue();
    const text = readFileSync("scenarios/fleet.yaml", "utf8").replace(/^gpus: 16$/m, "gpus: 3").replace(/count: 90/g, "count: 40");
    const loaded = { file: "fleet.yaml", text, scenario: parseScenario(text, "fleet.yaml", registry) };
    // when the coordinator runs it
    const r = await coordinated(loaded, 8, inProcessGpuServices);
    // then the log is the embedded run's, numbering of the repetitions included
    expect(r.digest).toBe((await embeddedOf(loaded, 8)).digest);
    // and the GPUs ran through their 80 power requests each in far fewer rounds than one per repetition
    expect(r.rounds).toBeLessThan(20);
  });
});

describe("the coordinator's lookahead and repeated steps", () => {
  it("queues each repetition of a step at its own time even while another GPU has run far ahead", async () => {
    // given GPU 0 rendering frames (independent, free to run ahead) and GPU 1 power-cycled by a repeated step
    const registry = createCatalogue();
    const text = [
      "name: ahead-and-steps",
      "description: x",
      "model: mali-g610-rk3588",
      "gpus: 2",
      "duration: 80ms",
      "supplies: off",
      "steps:",
      '  - { at: 10us, type: DeviceBindRequested, path: "drv0.bind", payload: {} }',
      "  - { at: 20ms, every: 200us, count: 12, type: PowerOnRequested, path: gpu1.pwr.cmd, payload: { domain: shader, mask: 0x50005 } }",
      "  - { at: 20100us, every: 200us, count: 12, type: PowerOffRequested, path: gpu1.pwr.cmd, payload: { domain: shader, mask: 0x50005 } }",
      "workload:",
      "  - { name: game, gpu: 0, frames: 3, fps: 60, priority: medium, vertices: 60000, width: 1280, height: 720, framesInFlight: 2 }",
      "",
    ].join("\n");
    const loaded = { file: "ahead-and-steps.yaml", text, scenario: parseScenario(text, "ahead-and-steps.yaml", registry) };
    const embedded = await embeddedOf(loaded, 6);
    // when the coordinator runs it with lookahead, per actor kind and in whole-GPU services
    for (const deploy of [inProcessServices, inProcessGpuServices]) {
      // then the log is the embedded run's: every repetition at its own time
      expect((await coordinated(loaded, 6, deploy)).digest).toBe(embedded.digest);
    }
  });
});
