import type { GpuModel } from "../../shared/gpu/model.ts";
import { mmuPaBits, mmuVaBits } from "../../shared/gpu/registerFields.ts";
import { initialOppOf } from "../power/powerConfig.ts";

/**
 * How long the simulated MCU takes for what it does. All values are **assumed**: Arm publishes
 * no figures for the CSF firmware; they are chosen to be plausible for a ~1 GHz Cortex-M7-class
 * MCU and comfortably inside panthor's timeouts (panthor.md §11: boot 1000 ms, acks 100 ms).
 */
export interface FirmwareTiming {
  /** MCU_CONTROL enable → interfaces written and JOB_INT GLOBAL_IF raised. */
  readonly bootNs: number;
  /** A doorbell → the interface re-read and its requests acknowledged (interrupt entry + scan). */
  readonly requestNs: number;
  /** Virtual time one CS instruction costs the MCU (decode + dispatch, ~20 MCU cycles). */
  readonly instructionNs: number;
  /** Instructions per MCU time slice before arbitration among runnable streams is redone. */
  readonly sliceInstructions: number;
  /** Idle hysteresis used while the host has not programmed GLB idle_timer (panthor writes 800 µs). */
  readonly defaultIdleNs: number;
}

/** The assumed timing (see {@link FirmwareTiming}). */
export const FIRMWARE_TIMING: FirmwareTiming = {
  bootNs: 500_000,
  requestNs: 2_000,
  instructionNs: 20,
  sliceInstructions: 1_000,
  defaultIdleNs: 800_000,
};

/** What the firmware actor needs from the GPU model. */
export interface FirmwareConfig {
  /** GPU index: the actor is `gpu<N>.fw`. */
  readonly gpu: number;
  /** SHADER_PRESENT, the upper bound of every core mask the firmware hands the shader cores. */
  readonly shaderPresent: number;
  /** GPU_MMU_FEATURES VA/PA bits, for the page walks of the ASes the MCU reads through. */
  readonly vaBits: number;
  readonly paBits: number;
  /** The SoC system counter: the unit of GLB timers without GLB_TIMER_SOURCE_GPU_COUNTER. */
  readonly timestampHz: number;
  /**
   * The GPU clock the firmware converts cycle-based timers with (progress timer, GPU-counter
   * timers): the initial OPP. Simplified: later DVFS changes do not re-time these timers.
   */
  readonly gpuHz: number;
  readonly timing: FirmwareTiming;
}

/** The firmware of GPU `gpu` for a model. */
export function firmwareConfigFromModel(model: GpuModel, gpu: number, timing: FirmwareTiming = FIRMWARE_TIMING): FirmwareConfig {
  const mmu = model.features.mmu_features;
  return {
    gpu,
    shaderPresent: model.present.shader_present,
    vaBits: mmuVaBits(mmu),
    paBits: mmuPaBits(mmu),
    timestampHz: model.timestamp_frequency_hz,
    gpuHz: initialOppOf(model.opp_table).hz,
    timing,
  };
}
