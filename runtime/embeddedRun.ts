import { join } from "node:path";
import { writeFileSync, mkdirSync } from "node:fs";
import type { Transport } from "../shared/bus/transport.ts";
import type { EventRegistry } from "../shared/events/registry.ts";
import { loadGpuModel } from "../shared/gpu/loadModel.ts";
import type { GpuModel } from "../shared/gpu/model.ts";
import { JsonlLogSink } from "../shared/log/jsonlSink.ts";
import { LOG_FORMAT, type LogHeader, type LogSink } from "../shared/log/logFormat.ts";
import { Simulation, INPUT_SOURCES } from "../shared/runtime/simulation.ts";
import type { LoadedScenario } from "../shared/scenario/loadScenario.ts";
import type { Scenario } from "../shared/scenario/scenarioSchema.ts";
import { createCatalogue } from "../services/catalogue.ts";
import { buildWorld } from "../services/world.ts";
import { nextTurn } from "../shared/process/eventLoop.ts";
import { ClientGate, type ClientGateOptions } from "./clients/clientGate.ts";
import { RunStats, type RunSummary } from "./runStats.ts";
import { RuntimeFaults } from "./multiprocess/runtimeFaults.ts";
import { TOOL_VERSION } from "./toolVersion.ts";

export type { RunSummary } from "./runStats.ts";

/** The run id of a scenario and seed: deterministic, so two runs of the same pair name their subjects alike. */
export const runIdOf = (scenario: Scenario, seed: number): string => `${scenario.name}-${seed}`;

/** The header a run's log opens with. */
export function headerOf(loaded: LoadedScenario, seed: number): LogHeader {
  return {
    format: "tyrsim-log",
    version: LOG_FORMAT,
    tool: TOOL_VERSION,
    run: runIdOf(loaded.scenario, seed),
    seed,
    model: loaded.scenario.model,
    scenario: { file: loaded.file, text: loaded.text },
  };
}

/** Everything needed to set a simulation up: the scenario, seed, sink and (optionally) transport. */
export interface SetupOptions {
  readonly loaded: LoadedScenario;
  readonly seed: number;
  readonly sink: LogSink;
  readonly registry?: EventRegistry;
  /** Mirror the run onto this transport and (with acceptInputs) take outside inputs from it. */
  readonly external?: Transport;
  readonly acceptInputs?: boolean;
  readonly model?: GpuModel;
}

/**
 * Build a simulation of a scenario: header written, the world's actors hosted, the scenario's steps
 * queued as inputs. Shared by `tyrsim run`, replay, tests and benchmarks so they cannot drift apart.
 */
export function setUpSimulation(opts: SetupOptions): Simulation {
  const { scenario } = opts.loaded;
  const registry = opts.registry ?? createCatalogue();
  const model = opts.model ?? loadGpuModel(scenario.model);
  const sim = new Simulation({
    run: runIdOf(scenario, opts.seed),
    seed: opts.seed,
    registry,
    sink: opts.sink,
    ...(opts.external !== undefined ? { external: opts.external } : {}),
    acceptInputs: opts.acceptInputs ?? false,
    routing: new RuntimeFaults(runIdOf(scenario, opts.seed)),
  });
  opts.sink.writeHeader(headerOf(opts.loaded, opts.seed));
  for (const actor of buildWorld(scenario, model)) sim.addActor(actor);
  queueSteps(sim, scenario);
  return sim;
}

/** Where scenario steps are queued lazily: the embedded simulation (the coordinator takes them from a `StepSchedule`, `Coordinator.queueSteps`). */
export interface InputQueue {
  inputRaw(source: string, type: string, path: string, payload: unknown, atNs: number): string;
  onDelivered(id: string, fn: () => void): void;
}

/**
 * Queue the scenario's steps as inputs, repeated ones included. Repetitions are queued lazily, one
 * ahead: each delivery of a repeated step queues the next, so a million repetitions do not sit in
 * the queue at once. `StepSchedule` hands out the same inputs under the same numbers without
 * waiting for deliveries (its tests hold the two to each other).
 */
export function queueSteps(queue: InputQueue, scenario: Scenario): void {
  scenario.steps.forEach((step) => {
    // A path with `{gpu}` is one step per GPU of the fleet, in GPU order.
    const paths = step.path.includes("{gpu}") ? Array.from({ length: scenario.gpus }, (_, g) => step.path.replaceAll("{gpu}", String(g))) : [step.path];
    for (const path of paths) {
      const every = step.every ?? 0;
      let left = step.count;
      const next = (at: number) => {
        if (left-- <= 0 || at > scenario.duration) return;
        const id = queue.inputRaw(INPUT_SOURCES.scenario, step.type, path, step.payload, at);
        if (left > 0) queue.onDelivered(id, () => next(at + every));
      };
      next(step.at);
    }
  });
}

/** Options of an embedded run. */
export interface EmbeddedRunOptions {
  readonly loaded: LoadedScenario;
  readonly seed?: number;
  /** Run folder; default `runs/<scenario>-<seed>`. */
  readonly outDir?: string;
  readonly onProgress?: (timeNs: number, events: number) => void;
  /** Mirror every delivered event onto this transport (NATS) for live observers. */
  readonly external?: Transport;
  /** With `external`: serve remote user-space clients, holding virtual time while they are attached (`runtime/clients/`). */
  readonly clients?: ClientGateOptions;
}

/**
 * `tyrsim run`: the scenario on the embedded runtime, its log streamed to `<out>/events.jsonl`,
 * its summary to `<out>/summary.json`.
 */
export async function runEmbedded(opts: EmbeddedRunOptions): Promise<RunSummary> {
  const { scenario } = opts.loaded;
  const seed = opts.seed ?? scenario.seed;
  const outDir = opts.outDir ?? join("runs", runIdOf(scenario, seed));
  mkdirSync(outDir, { recursive: true });
  const logPath = join(outDir, "events.jsonl");
  const sink = new JsonlLogSink(logPath);
  // A run visible on NATS is live: it takes outside inputs (faults) between slices of levels.
  const live = opts.external !== undefined;
  const sim = setUpSimulation({ loaded: opts.loaded, seed, sink, ...(live ? { external: opts.external, acceptInputs: true } : {}) });
  const stats = new RunStats();
  sim.delivered().subscribe((e) => stats.add(e));
  const bounds = { untilNs: scenario.duration, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) };
  const gate = live && opts.clients !== undefined ? new ClientGate(sim, opts.external!, createCatalogue(), opts.clients) : undefined;
  if (gate !== undefined) await gate.drive(bounds);
  else if (live) while (sim.advance(bounds, 256)) await nextTurn();
  gate?.close();
  const outcome = live ? sim.finish(bounds) : sim.run(bounds);
  await sim.close();
  await opts.external?.flush();
  const actors: Record<string, unknown> = {};
  for (const [name, a] of sim.hosted()) actors[name] = a.behaviour.snapshot();
  const summary = stats.summary({ run: sim.runId, scenario, seed, runtime: "embedded", outcome, digest: sink.digest.hex(), log: logPath, actors });
  writeFileSync(join(outDir, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
  return summary;
}
