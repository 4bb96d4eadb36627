import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import { ERRNO } from "../../shared/gpu/errno.ts";
import { readGpuInfo, type DrmPanthorGpuInfo } from "../../shared/gpu/gpuInfo.ts";
import type { GpuModel } from "../../shared/gpu/model.ts";
import { GPU_CONTROL as R, GPU_CMD, GPU_IRQ, MMU_CONTROL } from "../../shared/gpu/registers.ts";
import { powerPaths } from "../power/powerService.ts";
import {
  ClockDisableRequested,
  ClockEnableFailed,
  ClockEnableRequested,
  ClockStateChanged,
  RegulatorDisableRequested,
  RegulatorEnableFailed,
  RegulatorEnableRequested,
  RegulatorStateChanged,
} from "../power/supplyEvents.ts";
import type { PhysicalMemory } from "../../shared/gpu/physicalMemory.ts";
import { beginProbe, gpuProbed, registerDevice, type DeviceCtx } from "./deviceCtx.ts";
import { DeviceProbeFailed, DrmDeviceRegistered, ProbeStepCompleted, ProbeStepFailed, ProbeStepUnwound, driverPaths, type ProbeStep } from "./driverEvents.ts";
import { fwInitDetail, panthorFwInit } from "./fw/fwInit.ts";
import type { IrqLines } from "./irqLines.ts";
import { emit, readl, readPollTimeout, waitFor, writel, type KTask } from "./ktask.ts";
import { schedInit } from "./sched/schedInit.ts";
import { mmuIrqMask } from "./uapi/asSlots.ts";
import { driverMemoryLayout, type DriverMemoryLayout } from "./uapi/driverMemory.ts";
import { createDriverState, type DriverState, type DriverStateOptions } from "./uapi/driverState.ts";
import type { KernelCtx } from "./uapi/ioctlContext.ts";

const US = 1_000;
const MS = 1_000_000;

/** Probe timing, from panthor (`panthor_gpu.c`): poll steps and timeouts. */
export const PROBE_TIMING = {
  /** Soft reset completion wait: 100 ms, polled every 10 µs (panthor_gpu_soft_reset). */
  resetTimeoutNs: 100 * MS,
  resetPollNs: 10 * US,
  /** L2 power transition: 20 ms, polled every 100 µs (panthor_gpu_block_power_on). */
  l2TimeoutNs: 20 * MS,
  l2PollNs: 100 * US,
  /** How long a clock or supply may take to answer enable (assumed; the regulator ramp is 400 µs). */
  supplyTimeoutNs: 5 * MS,
} as const;

/** What the probe needs from the driver actor besides the model: RAM, options, IRQ lines, the clock, task spawning. */
export interface ProbeEnv {
  /** This process's replica of system RAM (the CPU's view). */
  readonly ram: PhysicalMemory;
  readonly opts: DriverStateOptions;
  /** The device's requestable IRQ lines (the firmware step requests the job line). */
  readonly irqs: IrqLines;
  readonly now: () => number;
  /** Start a long-lived kernel task (the scheduler's tick work and job worker). */
  readonly spawn: (name: string, task: KTask<void>) => void;
}

/** A probed and registered device: its typestate and the driver state the probe built. */
export interface ProbedDevice {
  readonly dev: DeviceCtx<"registered">;
  readonly state: DriverState;
}

/** A step that failed, with its errno. */
class ProbeFailure extends Error {
  constructor(readonly step: ProbeStep, readonly errno: number, readonly detail: string) {
    super(`${step}: ${detail} (${errno})`);
  }
}

/** Enable one supply and wait for its answer: enabled, failed with an errno, or no answer. */
function* enableSupply(gpu: number, kind: "clock" | "regulator", name: string): KTask<number> {
  const path = powerPaths(gpu).cmd;
  if (kind === "clock") yield* emit(ClockEnableRequested, path, { clock: name });
  else yield* emit(RegulatorEnableRequested, path, { regulator: name });
  const answer = yield* waitFor((e: Envelope) => {
    if (EventRegistry.is(ClockStateChanged, e) && kind === "clock" && e.payload.clock === name && e.payload.enabled) return 0;
    if (EventRegistry.is(RegulatorStateChanged, e) && kind === "regulator" && e.payload.regulator === name && e.payload.enabled) return 0;
    if (EventRegistry.is(ClockEnableFailed, e) && kind === "clock" && e.payload.name === name) return e.payload.errno;
    if (EventRegistry.is(RegulatorEnableFailed, e) && kind === "regulator" && e.payload.name === name) return e.payload.errno;
    return undefined;
  }, PROBE_TIMING.supplyTimeoutNs);
  return answer ?? -ERRNO.ETIMEDOUT;
}

function* disableSupply(gpu: number, kind: "clock" | "regulator", name: string): KTask<void> {
  const path = powerPaths(gpu).cmd;
  if (kind === "clock") yield* emit(ClockDisableRequested, path, { clock: name });
  else yield* emit(RegulatorDisableRequested, path, { regulator: name });
}

/** The registers `panthor_gpu_init_info()` reads, in its order (a dry run of readGpuInfo records them). */
const GPU_INFO_OFFSETS: readonly number[] = (() => {
  const offsets: number[] = [];
  readGpuInfo((o) => (offsets.push(o), 0));
  return offsets;
})();

/**
 * The probe of a Tyr-style driver, as one kernel task: clocks, regulators, MMIO, soft reset with
 * polling, L2 power-on, GPU info, DRM device registration (Tyr `driver.rs` probe; Panthor
 * `panthor_device_init`). Each completed step pushes its undo; a failure reports the step and
 * errno, undoes what was set up in reverse order, and ends in `DeviceProbeFailed` — no leak, no
 * half-bound device. Returns the registered device, or undefined when probe failed.
 *
 * The MMU step (`panthor_mmu_init`) reserves the driver's memory — the page-table pool and the
 * GEM pool of `layout` — and unmasks the MMU interrupt of every present AS. The firmware step
 * (`panthor_fw_init`, `fw/fwInit.ts`) loads and boots the MCU and initialises its global
 * interface; the sched step (`panthor_sched_init`) sizes the scheduler from the interfaces and
 * starts its tasks. The device registers as "panthor" 1.`minor`.0 (Tyr: 1.5.0, so Mesa's panvk
 * opens it).
 */
export function* probeDevice(
  gpu: number,
  model: GpuModel,
  env: ProbeEnv,
  layout: DriverMemoryLayout = driverMemoryLayout(model.memory.system_ram_bytes),
  minor = 5,
): KTask<ProbedDevice | undefined> {
  const paths = driverPaths(gpu);
  const undo: { step: ProbeStep; what: string; run: () => KTask<void> }[] = [];
  const done = (step: ProbeStep, detail: string) => emit(ProbeStepCompleted, paths.probe, { step, detail });
  try {
    const dev = beginProbe(gpu);
    // 1. Clocks: `core` is required; the others only where the model lists them.
    for (const clk of model.clocks) {
      const err = yield* enableSupply(gpu, "clock", clk.name);
      if (err !== 0) throw new ProbeFailure("clocks", err, `clk_prepare_enable(${clk.name}) failed`);
      undo.push({ step: "clocks", what: `clk_disable_unprepare(${clk.name})`, run: () => disableSupply(gpu, "clock", clk.name) });
    }
    yield* done("clocks", model.clocks.map((c) => c.name).join(","));
    // 2. Regulators.
    for (const reg of model.regulators) {
      const err = yield* enableSupply(gpu, "regulator", reg.name);
      if (err !== 0) throw new ProbeFailure("regulators", err, `regulator_enable(${reg.name}) failed`);
      undo.push({ step: "regulators", what: `regulator_disable(${reg.name})`, run: () => disableSupply(gpu, "regulator", reg.name) });
    }
    yield* done("regulators", model.regulators.map((r) => r.name).join(","));
    // 3. MMIO: the register window is reachable (devm_platform_ioremap_resource).
    yield* done("mmio", `0x${model.mmio.base.toString(16)}+0x${model.mmio.size.toString(16)}`);
    // 4. Soft reset, then poll RESET_COMPLETED (panthor_gpu_soft_reset).
    yield* writel(R.GPU_INT_CLEAR, GPU_IRQ.RESET_COMPLETED);
    yield* writel(R.GPU_CMD, GPU_CMD.SOFT_RESET);
    const reset = yield* readPollTimeout(R.GPU_INT_RAWSTAT, (v) => (v & GPU_IRQ.RESET_COMPLETED) !== 0, PROBE_TIMING.resetPollNs, PROBE_TIMING.resetTimeoutNs);
    if (!reset.ok) throw new ProbeFailure("soft-reset", -ERRNO.ETIMEDOUT, "soft reset timed out");
    yield* writel(R.GPU_INT_CLEAR, GPU_IRQ.RESET_COMPLETED);
    yield* done("soft-reset", "RESET_COMPLETED");
    // 5. L2 on (panthor_gpu_l2_power_on → panthor_gpu_block_power_on(L2, mask 1, 20 ms)).
    const idle = yield* readPollTimeout(R.L2_PWRTRANS_LO, (v) => (v & 1) === 0, PROBE_TIMING.l2PollNs, PROBE_TIMING.l2TimeoutNs);
    if (!idle.ok) throw new ProbeFailure("l2-power", -ERRNO.ETIMEDOUT, "timeout waiting on L2:1 power transition");
    yield* writel(R.L2_PWRON_LO, 1);
    const ready = yield* readPollTimeout(R.L2_READY_LO, (v) => (v & 1) === 1, PROBE_TIMING.l2PollNs, PROBE_TIMING.l2TimeoutNs);
    if (!ready.ok) throw new ProbeFailure("l2-power", -ERRNO.ETIMEDOUT, "timeout waiting on L2:1 power transition");
    undo.push({ step: "l2-power", what: "L2_PWROFF_LO=1", run: () => writel(R.L2_PWROFF_LO, 1) });
    yield* done("l2-power", "L2_READY=1");
    // 6. GPU info, register by register in panthor_gpu_init_info() order.
    const values = new Map<number, number>();
    for (const offset of GPU_INFO_OFFSETS) values.set(offset, yield* readl(offset));
    const info: DrmPanthorGpuInfo = readGpuInfo((o) => values.get(o) ?? 0);
    const probed = gpuProbed(dev, info);
    yield* done("gpu-info", `gpu_id 0x${info.gpu_id.toString(16)} shader_present 0x${info.shader_present.toString(16)}`);
    // 7. MMU (panthor_mmu_init): memory pools reserved, fault interrupts of the present ASes unmasked.
    const mask = mmuIrqMask(info.as_present, 0);
    yield* writel(MMU_CONTROL.MMU_INT_MASK, mask);
    undo.push({ step: "mmu", what: "MMU_INT_MASK=0", run: () => writel(MMU_CONTROL.MMU_INT_MASK, 0) });
    const hex = (n: number) => `0x${n.toString(16)}`;
    const d = createDriverState(probed, model, env.ram, { ...env.opts, uapiMinor: minor });
    const kc: KernelCtx = { d, now: env.now, spawn: env.spawn };
    yield* done("mmu", `page-table pool ${hex(layout.ptPool.start)}+${hex(layout.ptPool.size)}, GEM pool ${hex(layout.gemPool.start)}+${hex(layout.gemPool.size)}, MMU_INT_MASK ${hex(mask)}`);
    // 8. Firmware: MCU VM on AS0, sections loaded, MCU booted, interfaces read, GLB initialised.
    const fw = yield* panthorFwInit(kc, model, env.irqs, (what, run) => undo.push({ step: "firmware", what, run }));
    if ("errno" in fw) throw new ProbeFailure("firmware", fw.errno, fw.detail);
    yield* done("firmware", fwInitDetail(fw));
    // 9. Scheduler: CSG slots, address spaces, tick and job worker.
    const sched = schedInit(kc, env.opts.scheduler);
    if (typeof sched === "number") throw new ProbeFailure("sched", sched, "Not enough AS (need at least 2)");
    yield* done("sched", `${sched.slots.length} CSG slots, ${sched.csSlotCount} CS per CSG, ${sched.asSlotCount} user AS, ${sched.mode}`);
    // 10. DRM device: Tyr registers as "panthor" 1.5.0 so Mesa's panvk opens it.
    const registered = registerDevice(probed, gpu);
    d.dev = registered;
    yield* emit(DrmDeviceRegistered, paths.device, { name: "panthor", version: `1.${minor}.0`, gpuId: info.gpu_id, shaderPresent: info.shader_present });
    return { dev: registered, state: d };
  } catch (e) {
    if (!(e instanceof ProbeFailure)) throw e;
    yield* emit(ProbeStepFailed, paths.probe, { step: e.step, errno: e.errno, detail: e.detail });
    for (const u of undo.reverse()) {
      yield* u.run();
      yield* emit(ProbeStepUnwound, paths.probe, { step: u.step, what: u.what });
    }
    yield* emit(DeviceProbeFailed, paths.probe, { step: e.step, errno: e.errno });
    return undefined;
  }
}
