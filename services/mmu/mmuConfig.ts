import type { GpuModel } from "../../shared/gpu/model.ts";
import { mmuPaBits, mmuVaBits } from "../../shared/gpu/registerFields.ts";
import { AS_COMMAND_LATENCY_NS, type MmuConfig } from "./mmuService.ts";

/** The MMU of GPU `gpu` for a model: AS_PRESENT, VA/PA bits from MMU_FEATURES, the assumed AS command latency. */
export function mmuConfigFromModel(model: GpuModel, gpu: number): MmuConfig {
  const f = model.features.mmu_features;
  return { gpu, asPresent: model.present.as_present, vaBits: mmuVaBits(f), paBits: mmuPaBits(f), commandLatencyNs: AS_COMMAND_LATENCY_NS };
}
