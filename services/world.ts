import type { ActorSpec } from "../shared/actor/actor.ts";
import type { GpuModel } from "../shared/gpu/model.ts";
import { PhysicalMemory } from "../shared/gpu/physicalMemory.ts";
import type { DriverConfig, Scenario } from "../shared/scenario/scenarioSchema.ts";
import { driverActor, type DriverOptions } from "./driver/driverService.ts";
import { firmwareConfigFromModel } from "./firmware/firmwareConfig.ts";
import { firmwareActor } from "./firmware/firmwareService.ts";
import { ledActors, scenarioUsesLed } from "./led/ledWorld.ts";
import { memoryReplicaActor } from "./memory/memoryReplica.ts";
import { mmuConfigFromModel } from "./mmu/mmuConfig.ts";
import { mmuActor } from "./mmu/mmuService.ts";
import { powerConfigFromModel } from "./power/powerConfig.ts";
import { powerControllerActor } from "./power/powerService.ts";
import { regsConfigFromModel } from "./regs/regsConfig.ts";
import { regsActor } from "./regs/regsService.ts";
import { shaderConfigFromModel } from "./shader/shaderConfig.ts";
import { shaderActor } from "./shader/shaderService.ts";
import { workloadActor } from "./workload/workloadService.ts";

/**
 * The hardware actors of GPU `gpu`, in hosting order. The memory replica comes first: it must
 * apply a `MemoryWritten` before any other actor of the GPU sees the same event (see
 * `memoryReplicaActor`). The MMU, shader cores and MCU firmware read the same `mem` the replica
 * writes; the firmware comes last, after the blocks whose events it answers in the same instant.
 */
export function gpuHardware(
  model: GpuModel,
  gpu: number,
  jitter: number,
  mem = new PhysicalMemory(model.memory.system_ram_bytes),
  suppliesOn = true,
): ActorSpec[] {
  return [
    memoryReplicaActor(gpu, mem),
    regsActor(regsConfigFromModel(model, gpu)),
    powerControllerActor(powerConfigFromModel(model, gpu, jitter, suppliesOn)),
    mmuActor(mmuConfigFromModel(model, gpu), mem),
    shaderActor(shaderConfigFromModel(model, gpu)),
    firmwareActor(firmwareConfigFromModel(model, gpu), mem),
  ];
}

/** The driver options a scenario's `driver:` block stands for (besides the RAM replica). */
export function driverOptionsOf(cfg: DriverConfig): DriverOptions {
  return {
    scheduler: cfg.scheduler,
    fencePolicy: cfg.fencePolicy,
    ...(cfg.gemLimitBytes === undefined ? {} : { gemLimitBytes: cfg.gemLimitBytes }),
    power: { devfreq: cfg.devfreq, runtimePm: cfg.runtimePm },
  };
}

/**
 * The actors of a scenario's world, in a fixed order: for each GPU its hardware blocks, then the
 * driver and userspace. The same list is what the embedded runtime hosts in one process and what
 * the multi-process runtime spreads over services.
 */
export function buildWorld(scenario: Scenario, model: GpuModel): ActorSpec[] {
  const actors: ActorSpec[] = [];
  for (let gpu = 0; gpu < scenario.gpus; gpu++) {
    // One RAM per GPU: the hardware's replica, which the driver (the CPU) also reads.
    const mem = new PhysicalMemory(model.memory.system_ram_bytes);
    actors.push(...gpuHardware(model, gpu, scenario.jitter, mem, scenario.supplies === "on"), driverActor(gpu, model, { ...driverOptionsOf(scenario.driver), mem }));
    // Userspace clients of this GPU's DRM device, after its driver.
    actors.push(...scenario.workload.filter((c) => c.gpu === gpu).map(workloadActor));
  }
  // The LED tutorial's GPIO bank and driver, when the scenario talks to them.
  if (scenarioUsesLed(scenario)) actors.push(...ledActors());
  return actors;
}
