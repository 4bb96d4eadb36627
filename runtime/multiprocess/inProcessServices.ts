import { loadGpuModel } from "../../shared/gpu/loadModel.ts";
import { ActorHost } from "../../shared/runtime/actorHost.ts";
import type { Scenario } from "../../shared/scenario/scenarioSchema.ts";
import { createCatalogue } from "../../services/catalogue.ts";
import { buildWorld } from "../../services/world.ts";
import type { RemoteService } from "./coordinator.ts";
import { actorsOfService, SERVICE_KINDS, type ServiceKind } from "./partition.ts";
import { LevelReplySchema, LevelRequestSchema } from "./protocol.ts";
import { handleLevel } from "./serviceHostLink.ts";

/** Build the actor host of one service as its process would: its own world, its owned actors and shadows. */
export function buildServiceHost(run: string, seed: number, scenario: Scenario, kind: ServiceKind, gpus: ReadonlySet<number>): { host: ActorHost; owned: string[]; shadows: string[] } {
  const world = buildWorld(scenario, loadGpuModel(scenario.model));
  const { owned, shadows } = actorsOfService(world, kind, gpus);
  const host = new ActorHost({ run, seed, registry: createCatalogue() });
  // Shadows first: a memory replica must apply a write before this process's other actors see it.
  for (const a of shadows) host.add(a, true);
  for (const a of owned) host.add(a);
  return { host, owned: owned.map((a) => a.name), shadows: shadows.map((a) => a.name) };
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
      const { host, owned } = buildServiceHost(run, seed, scenario, kind, new Set([gpu]));
      if (owned.length === 0) continue;
      services.push({
        name: `${kind}-${gpu}`,
        patterns: host.subscribedPatterns(),
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
