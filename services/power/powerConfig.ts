import type { GpuModel, Opp } from "../../shared/gpu/model.ts";
import { recommendedOpp } from "../../shared/gpu/opp.ts";
import type { PowerControllerConfig } from "./powerService.ts";

/**
 * Rate at which the `mali` rail moves, µV/µs: `regulator-ramp-delay = <12500>` on the RK806
 * `vdd_gpu_s0` (dcdc-reg1) of the RK3588 board DTs (rock-5b, orangepi-5). Used for every model:
 * the model files carry no regulator constraints yet.
 */
export const MALI_RAIL_RAMP_UV_PER_US = 12_500;

/**
 * Time from `regulator_enable()` to a good output, ns: `regulator-enable-ramp-delay = <400>` µs on
 * the same RK806 `vdd_gpu_s0`. Applied to every regulator of every model (assumed for `sram`).
 */
export const REGULATOR_ENABLE_RAMP_NS = 400_000;

/**
 * The GPU clock rate the bootloader leaves, Hz: ~198–200 MHz on RK3588 before devfreq starts
 * (panthor.md §11, unverified boot logs).
 */
export const BOOTLOADER_GPU_HZ = 200_000_000;

/**
 * The OPP the GPU starts at: what `panthor_devfreq_init()` sets from the bootloader's rate,
 * `devfreq_recommended_opp(clk_get_rate(core))` — the ceil, so the slowest OPP on RK3588
 * (300 MHz / 675 mV). Simplified: the bootloader's non-OPP 200 MHz and the moment devfreq starts
 * are not modelled; the world begins with the driver's initial OPP already set.
 */
export function initialOppOf(table: readonly Opp[]): Opp {
  return recommendedOpp(table, BOOTLOADER_GPU_HZ);
}

/**
 * The power controller configuration of GPU `gpu` from its model: present masks, latencies,
 * clocks and regulators (by default enabled at the start, as the bootloader leaves them:
 * `vdd_gpu_s0` is `regulator-boot-on` and the GPU clocks run; Panthor's and Tyr's probe enables
 * them again — a scenario with `supplies: off` starts them cold, so the probe's enables are real
 * and can fail), the
 * OPP table and initial OPP, and the energy coefficients.
 */
export function powerConfigFromModel(model: GpuModel, gpu: number, jitter: number, suppliesOn = true): PowerControllerConfig {
  const p = model.power;
  const e = model.energy;
  const coeffs = (d: keyof typeof e.domains) => ({ staticMw: e.domains[d].static_mw, dynamicUwPerMhzV2: e.domains[d].dynamic_uw_per_mhz_v2 });
  return {
    gpu,
    jitter,
    domains: {
      l2: { domain: "l2", present: model.present.l2_present, upNs: p.l2_power_up_ns, downNs: p.l2_power_down_ns },
      tiler: { domain: "tiler", present: model.present.tiler_present, upNs: p.tiler_power_up_ns, downNs: p.tiler_power_down_ns },
      shader: { domain: "shader", present: model.present.shader_present, upNs: p.shader_power_up_ns, downNs: p.shader_power_down_ns },
    },
    supplies: {
      clocks: model.clocks.map((c) => c.name),
      regulators: model.regulators.map((r) => r.name),
      enabledAtStart: suppliesOn,
      regulatorEnableRampNs: REGULATOR_ENABLE_RAMP_NS,
    },
    frequency: { opps: model.opp_table, initialOpp: initialOppOf(model.opp_table), rampMicrovoltPerUs: MALI_RAIL_RAMP_UV_PER_US },
    energy: { nominalMicrovolt: e.nominal_microvolt, domains: { l2: coeffs("l2"), tiler: coeffs("tiler"), shader: coeffs("shader") } },
  };
}
