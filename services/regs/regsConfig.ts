import { idRegisterValues } from "../../shared/gpu/idRegisters.ts";
import type { GpuModel } from "../../shared/gpu/model.ts";
import type { RegsConfig } from "./regsService.ts";

/** The register file of GPU `gpu` for a model: ID registers, AS_PRESENT, GPU_CMD timings, timestamp rate. */
export function regsConfigFromModel(model: GpuModel, gpu: number): RegsConfig {
  return {
    gpu,
    idRegisters: idRegisterValues(model),
    asPresent: model.present.as_present,
    timestampHz: model.timestamp_frequency_hz,
    softResetNs: model.power.soft_reset_ns,
    cacheFlushNs: model.power.cache_flush_ns,
  };
}
