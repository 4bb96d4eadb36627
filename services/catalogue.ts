import { EventRegistry } from "../shared/events/registry.ts";
import { systemEvents } from "../shared/events/systemEvents.ts";
import { driverEvents } from "./driver/driverEvents.ts";
import { fenceDisciplineEvents } from "./driver/fence/fenceEvents.ts";
import { pmEvents } from "./driver/pm/pmEvents.ts";
import { faultEvents } from "./faults/faultEvents.ts";
import { schedEvents } from "./driver/sched/schedEvents.ts";
import { resetEvents } from "./driver/reset/resetEvents.ts";
import { uapiEvents } from "./driver/uapi/uapiEvents.ts";
import { firmwareEvents } from "./firmware/firmwareEvents.ts";
import { GEM_EVENTS } from "./gem/gemEvents.ts";
import { ledEvents } from "./led/ledEvents.ts";
import { memoryEvents } from "./memory/memoryEvents.ts";
import { mmuEvents } from "./mmu/mmuEvents.ts";
import { powerEvents } from "./power/powerEvents.ts";
import { regsEvents } from "./regs/regsEvents.ts";
import { shaderEvents } from "./shader/shaderEvents.ts";
import { runtimeFaultEvents } from "../runtime/multiprocess/runtimeFaultEvents.ts";
import { workloadEvents } from "./workload/workloadEvents.ts";

/**
 * The registry of every event type the services know: what the validator, the scenario loader,
 * replay and the wire-catalogue export look types up in. A service adds its event list here.
 */
export function createCatalogue(): EventRegistry {
  return new EventRegistry().register(...systemEvents, ...memoryEvents, ...regsEvents, ...powerEvents, ...mmuEvents, ...shaderEvents, ...driverEvents, ...firmwareEvents, ...uapiEvents, ...GEM_EVENTS, ...faultEvents, ...runtimeFaultEvents, ...pmEvents, ...schedEvents, ...resetEvents, ...ledEvents, ...workloadEvents, ...fenceDisciplineEvents);
}
