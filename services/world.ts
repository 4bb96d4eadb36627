import type { ActorSpec } from "../shared/actor/actor.ts";
import type { GpuModel } from "../shared/gpu/model.ts";
import type { Scenario } from "../shared/scenario/scenarioSchema.ts";
import { powerConfigFromModel } from "./power/powerConfig.ts";
import { powerControllerActor } from "./power/powerService.ts";

/**
 * The actors of a scenario's world, in a fixed order: for each GPU its hardware blocks, then the
 * driver and userspace. The same list is what the embedded runtime hosts in one process and what
 * the multi-process runtime spreads over services.
 */
export function buildWorld(scenario: Scenario, model: GpuModel): ActorSpec[] {
  const actors: ActorSpec[] = [];
  for (let gpu = 0; gpu < scenario.gpus; gpu++) {
    actors.push(powerControllerActor(powerConfigFromModel(model, gpu, scenario.jitter)));
  }
  return actors;
}
