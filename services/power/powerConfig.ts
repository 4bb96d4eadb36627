import type { GpuModel } from "../../shared/gpu/model.ts";
import type { PowerControllerConfig } from "./powerService.ts";

/** The power controller configuration of GPU `gpu` from its model: present masks and latencies. */
export function powerConfigFromModel(model: GpuModel, gpu: number, jitter: number): PowerControllerConfig {
  const p = model.power;
  return {
    gpu,
    jitter,
    domains: {
      l2: { domain: "l2", present: model.present.l2_present, upNs: p.l2_power_up_ns, downNs: p.l2_power_down_ns },
      tiler: { domain: "tiler", present: model.present.tiler_present, upNs: p.tiler_power_up_ns, downNs: p.tiler_power_down_ns },
      shader: { domain: "shader", present: model.present.shader_present, upNs: p.shader_power_up_ns, downNs: p.shader_power_down_ns },
    },
  };
}
