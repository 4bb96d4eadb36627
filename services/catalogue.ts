import { EventRegistry } from "../shared/events/registry.ts";
import { systemEvents } from "../shared/events/systemEvents.ts";
import { powerEvents } from "./power/powerEvents.ts";

/**
 * The registry of every event type the services know: what the validator, the scenario loader,
 * replay and the wire-catalogue export look types up in. A service adds its event list here.
 */
export function createCatalogue(): EventRegistry {
  return new EventRegistry().register(...systemEvents, ...powerEvents);
}
