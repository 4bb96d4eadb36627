import type { GpuModel } from "../../shared/gpu/model.ts";
import { initialOppOf } from "../power/powerConfig.ts";
import type { ShaderConfig } from "./shaderService.ts";

/** The shader cores of GPU `gpu` for a model: SHADER_PRESENT, and the clock the power controller starts at. */
export function shaderConfigFromModel(model: GpuModel, gpu: number): ShaderConfig {
  return { gpu, shaderPresent: model.present.shader_present, initialHz: initialOppOf(model.opp_table).hz };
}
