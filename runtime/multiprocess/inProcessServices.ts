import { loadGpuModel } from "../../shared/gpu/loadModel.ts";
import { ActorHost } from "../../shared/runtime/actorHost.ts";
import type { Scenario } from "../../shared/scenario/scenarioSchema.ts";
import { createCatalogue } from "../../services/catalogue.ts";
import { buildWorld } from "../../services/world.ts";
import type { RemoteService } from "./coordinator.ts";
import { actorsOfService, GPU_KIND, placementOf, SERVICE_KINDS, type ProcessKind } from "./partition.ts";
import { LevelBatchRequestSchema, LevelReplySchema, LevelRequestSchema, type LevelRequest, type RunAheadRequest } from "./protocol.ts";
import { parseLevelBatchReplyText } from "./replyCheck.ts";
import { batchReplyText, handleLevel, levelHandler, runAheadHandler } from "./serviceHostLink.ts";
import type { ActorSpec } from "../../shared/actor/actor.ts";
import { matchSubject, pathOf, subjectOf } from "../../shared/events/subjects.ts";
import type { Draft } from "../../shared/runtime/draft.ts";
import { FaultInjected } from "../../services/faults/faultEvents.ts";
import type { DraftPlace } from "./runAhead.ts";

/** Build the actor host of one service as its process would: its own world, its owned actors and shadows. */
export function buildServiceHost(
  run: string,
  seed: number,
  scenario: Scenario,
  kind: ProcessKind,
  gpus: ReadonlySet<number>,
): { host: ActorHost; owned: string[]; shadows: string[]; ownedPatterns: string[] } {
  const world = buildWorld(scenario, loadGpuModel(scenario.model));
  const { owned, shadows } = actorsOfService(world, kind, gpus);
  const host = new ActorHost({ run, seed, registry: createCatalogue() });
  // Shadows first: a memory replica must apply a write before this process's other actors see it.
  for (const a of shadows) host.add(a, true);
  for (const a of owned) host.add(a);
  return { host, owned: owned.map((a) => a.name), shadows: shadows.map((a) => a.name), ownedPatterns: patternsOf(run, owned) };
}

/** The full subject patterns `actors` listen to, each once (a service's owned patterns: `HelloSchema.ownedPatterns`). */
export function patternsOf(run: string, actors: readonly ActorSpec[]): string[] {
  return [...new Set(actors.flatMap((a) => a.subscribes.map((p) => subjectOf(run, p))))];
}

/** One partition of a service process: the actors of one GPU in an actor host of their own. */
export interface ServicePartitionHost {
  readonly partition: number;
  readonly host: ActorHost;
  readonly owned: string[];
  /** The patterns its owned actors listen to (its shadows' events may be held back: `HelloSchema.ownedPatterns`). */
  readonly ownedPatterns: string[];
}

/**
 * Build the actor hosts of one service as its process does: its owned actors and shadows split by
 * GPU, each GPU in a host of its own with its own timers — the partitions the coordinator may step
 * independently (lookahead). Actors' PRNG streams are split by name, so how actors are grouped
 * into hosts changes nothing they draw.
 */
export function buildServicePartitions(
  run: string,
  seed: number,
  scenario: Scenario,
  kind: ProcessKind,
  gpus: ReadonlySet<number>,
): { partitions: ServicePartitionHost[]; owned: string[]; shadows: string[]; placeFor: (partition: number) => (d: Draft) => DraftPlace } {
  const world = buildWorld(scenario, loadGpuModel(scenario.model));
  const { owned, shadows } = actorsOfService(world, kind, gpus);
  const byGpu = new Map<number, ServicePartitionHost>();
  const ownedSpecs = new Map<number, ActorSpec[]>();
  const partitionOf = (name: string): ServicePartitionHost => {
    const gpu = placementOf(name)?.gpu ?? 0;
    let p = byGpu.get(gpu);
    if (p === undefined) byGpu.set(gpu, (p = { partition: gpu, host: new ActorHost({ run, seed, registry: createCatalogue() }), owned: [], ownedPatterns: [] }));
    return p;
  };
  // Shadows first: a memory replica must apply a write before this process's other actors see it.
  for (const a of shadows) partitionOf(a.name).host.add(a, true);
  for (const a of owned) {
    const p = partitionOf(a.name);
    p.host.add(a);
    p.owned.push(a.name);
    ownedSpecs.set(p.partition, [...(ownedSpecs.get(p.partition) ?? []), a]);
  }
  for (const p of byGpu.values()) p.ownedPatterns.push(...patternsOf(run, ownedSpecs.get(p.partition) ?? []));
  // A partition with shadows only (a GPU none of whose actors this service owns) has nothing to do.
  const partitions = [...byGpu.values()].filter((p) => p.owned.length > 0).sort((a, b) => a.partition - b.partition);
  return { partitions, owned: owned.map((a) => a.name), shadows: shadows.map((a) => a.name), placeFor: (p) => placeInPartition(world, p) };
}

/**
 * Where a draft published in partition `partition` of a closed (whole-GPU) service goes when the
 * partition runs ahead: local when only the partition's actors listen to it or nobody does (it is
 * only logged); external when an actor of another partition listens, or it is a fault input.
 */
export function placeInPartition(world: readonly ActorSpec[], partition: number): (d: Draft) => DraftPlace {
  const patterns = world.map((a) => ({ mine: (placementOf(a.name)?.gpu ?? 0) === partition, patterns: a.subscribes }));
  const cache = new Map<string, DraftPlace>();
  return (d) => {
    if (d.type === FaultInjected.type) return "external";
    let place = cache.get(d.subject);
    if (place === undefined) {
      const path = pathOf(d.subject) ?? d.subject;
      place = patterns.some((a) => !a.mine && a.patterns.some((p) => matchSubject(p, path))) ? "external" : "local";
      cache.set(d.subject, place);
    }
    return place;
  };
}


/**
 * Every service of a deployment, each with its own world and actor host, talking to the
 * coordinator through JSON round trips validated by the protocol schemas — the multi-process
 * runtime without the processes, for tests and for measuring coordination separately from NATS.
 */
export function inProcessServices(run: string, seed: number, scenario: Scenario): RemoteService[] {
  const services: RemoteService[] = [];
  for (const kind of SERVICE_KINDS) {
    for (let gpu = 0; gpu < scenario.gpus; gpu++) {
      const { host, owned, ownedPatterns } = buildServiceHost(run, seed, scenario, kind, new Set([gpu]));
      if (owned.length === 0) continue;
      services.push({
        name: `${kind}-${gpu}`,
        partition: gpu,
        actors: owned,
        patterns: host.subscribedPatterns(),
        ownedPatterns,
        nextTimer: host.nextTimerKey() ?? null,
        exchange: (req) => {
          const wireReq = LevelRequestSchema.parse(JSON.parse(JSON.stringify(req)));
          return Promise.resolve(LevelReplySchema.parse(JSON.parse(JSON.stringify(handleLevel(host, wireReq)))));
        },
      });
    }
  }
  return services;
}

/**
 * A fleet in whole-GPU services (`tyrsim up --gpu-processes K` without the processes): GPU g in
 * service `gpu-<g mod K>`, every GPU a closed partition the coordinator runs ahead, each exchange a
 * JSON round trip validated by the protocol schemas.
 */
export function inProcessGpuServices(run: string, seed: number, scenario: Scenario, processes = scenario.gpus): RemoteService[] {
  const services: RemoteService[] = [];
  for (let k = 0; k < processes; k++) {
    const gpus = new Set(Array.from({ length: scenario.gpus }, (_, g) => g).filter((g) => g % processes === k));
    const { partitions, placeFor } = buildServicePartitions(run, seed, scenario, GPU_KIND, gpus);
    const hosts = new Map(partitions.map((p) => [p.partition, p.host]));
    const handle = levelHandler(hosts);
    const ahead = runAheadHandler(hosts, run, placeFor);
    const wire = <T>(x: T): unknown => JSON.parse(JSON.stringify(x));
    const exchangeBatch = (reqs: readonly LevelRequest[], aheads: readonly RunAheadRequest[] = []) => {
      const req = LevelBatchRequestSchema.parse(wire({ batch: reqs, ahead: aheads }));
      // Through the text, as over NATS: the runs ahead's canonical lines are taken from it.
      const reply = parseLevelBatchReplyText(batchReplyText(req.batch.map((r) => handle(r)), (req.ahead ?? []).map((r) => ahead(r))));
      return Promise.resolve({ replies: reply.replies, ahead: reply.ahead ?? [] });
    };
    for (const p of partitions) {
      services.push({
        name: `gpu-${k}`,
        partition: p.partition,
        actors: p.owned,
        patterns: p.host.subscribedPatterns(),
        nextTimer: p.host.nextTimerKey() ?? null,
        exchange: (req) => Promise.resolve(LevelReplySchema.parse(wire(handle(LevelRequestSchema.parse(wire(req)))))),
        exchangeBatch,
        runAhead: true,
      });
    }
  }
  return services;
}
