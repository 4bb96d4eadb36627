import { describe, expect, it } from "vitest";
import { loadGpuModel } from "../../shared/gpu/loadModel.ts";
import type { GpuModel } from "../../shared/gpu/model.ts";
import { PhysicalMemory } from "../../shared/gpu/physicalMemory.ts";
import { MemoryLogSink } from "../../shared/log/jsonlSink.ts";
import { Simulation } from "../../shared/runtime/simulation.ts";
import { createCatalogue } from "../catalogue.ts";
import { powerPaths } from "../power/powerService.ts";
import { PowerSupplyFaultArmed } from "../power/supplyEvents.ts";
import { gpuHardware } from "../world.ts";
import { DeviceBindRequested, driverPaths } from "./driverEvents.ts";
import { driverActor } from "./driverService.ts";

const MS = 1_000_000;
const g610 = loadGpuModel("mali-g610-rk3588");

/** A GPU with its driver; the bus binds the driver at t = 0. */
function boot(model: GpuModel, arm?: { target: "clock" | "regulator"; name: string }, untilNs = 300 * MS) {
  const sink = new MemoryLogSink();
  const sim = new Simulation({ run: "probe", seed: 1, registry: createCatalogue(), sink });
  // A cold board: the probe's clock and regulator enables are real (and can fail). The driver
  // reads the RAM the hardware writes (the firmware's interface blocks).
  const mem = new PhysicalMemory(model.memory.system_ram_bytes);
  for (const a of gpuHardware(model, 0, 0, mem, false)) sim.addActor(a);
  const drv = sim.addActor(driverActor(0, model, { mem }));
  if (arm !== undefined) sim.input("scenario", PowerSupplyFaultArmed, powerPaths(0).cmd, { ...arm, mode: "next-enable" }, 0);
  sim.input("scenario", DeviceBindRequested, driverPaths(0).bind, {}, 1000);
  sim.run({ untilNs });
  // The probe's own facts (steps, failures, unwinding, registration), not the register, memory and supply traffic.
  const probe = sink.events.filter((e) => e.source === "drv0" && (e.subject.endsWith(".drv0.probe") || e.subject.endsWith(".drv0.device")));
  return { sink, drv, probe, story: probe.map((e) => [e.type, (e.payload as { step?: string }).step ?? ""]) };
}

describe("driver probe", () => {
  it("brings the GPU up in Tyr's order and registers the DRM device with the GPU's identity", () => {
    // given a G610 whose driver is bound at 1 µs, when probe runs
    const { story, probe, drv, sink } = boot(g610);
    // then every step completes, in order, and the device is registered as panthor 1.5.0
    expect(story).toEqual([
      ["ProbeStepCompleted", "clocks"],
      ["ProbeStepCompleted", "regulators"],
      ["ProbeStepCompleted", "mmio"],
      ["ProbeStepCompleted", "soft-reset"],
      ["ProbeStepCompleted", "l2-power"],
      ["ProbeStepCompleted", "gpu-info"],
      ["ProbeStepCompleted", "mmu"],
      ["ProbeStepCompleted", "firmware"],
      ["ProbeStepCompleted", "sched"],
      ["DrmDeviceRegistered", ""],
    ]);
    expect(probe.at(-1)?.payload).toEqual({ name: "panthor", version: "1.5.0", gpuId: 0xa8670005, shaderPresent: 0x50005 });
    expect(drv.behaviour.snapshot()).toMatchObject({ lifecycle: "bound", gpuId: 0xa8670005 });
    // and the soft reset was polled, not slept through: RESET_COMPLETED was read as 0 at least once
    const resetPolls = sink.events.filter((e) => e.type === "MmioReadCompleted" && (e.payload as { name: string }).name === "GPU_INT_RAWSTAT");
    expect(resetPolls.length).toBeGreaterThan(1);
    expect((resetPolls[0]?.payload as { value: number }).value & 0x100).toBe(0);
    expect((resetPolls.at(-1)?.payload as { value: number }).value & 0x100).toBe(0x100);
    // and the reset step ends no earlier than the model's reset time after the GPU_CMD write
    const cmd = sink.events.find((e) => e.type === "MmioWriteIssued" && (e.payload as { offset: number }).offset === 0x30);
    const resetDone = probe.find((e) => (e.payload as { step?: string }).step === "soft-reset");
    expect(resetDone!.timeNs - cmd!.timeNs).toBeGreaterThanOrEqual(g610.power.soft_reset_ns);
    expect(resetDone!.timeNs - cmd!.timeNs).toBeLessThan(g610.power.soft_reset_ns + 20_000);
  });

  it("unwinds nothing and fails with the clock's errno when the core clock will not enable", () => {
    const { story, probe, drv } = boot(g610, { target: "clock", name: "core" });
    expect(story).toEqual([
      ["ProbeStepFailed", "clocks"],
      ["DeviceProbeFailed", "clocks"],
    ]);
    expect(probe.at(-1)?.payload).toEqual({ step: "clocks", errno: -110 });
    expect(drv.behaviour.snapshot()).toMatchObject({ lifecycle: "failed" });
  });

  it("disables every clock in reverse order when a regulator fails", () => {
    const { story, probe } = boot(g610, { target: "regulator", name: "sram" });
    expect(story).toEqual([
      ["ProbeStepCompleted", "clocks"],
      ["ProbeStepFailed", "regulators"],
      ["ProbeStepUnwound", "regulators"],
      ["ProbeStepUnwound", "clocks"],
      ["ProbeStepUnwound", "clocks"],
      ["ProbeStepUnwound", "clocks"],
      ["DeviceProbeFailed", "regulators"],
    ]);
    const undone = probe.filter((e) => e.type === "ProbeStepUnwound").map((e) => (e.payload as { what: string }).what);
    expect(undone).toEqual(["regulator_disable(mali)", ...[...g610.clocks].reverse().map((c) => `clk_disable_unprepare(${c.name})`)]);
    expect(probe.at(-1)?.payload).toEqual({ step: "regulators", errno: -5 });
  });

  it("times out a soft reset that takes longer than 100 ms with -ETIMEDOUT and unwinds supplies", () => {
    const slow = { ...g610, power: { ...g610.power, soft_reset_ns: 150 * MS } };
    const { story, probe } = boot(slow);
    expect(story.slice(-3)).toEqual([
      ["ProbeStepUnwound", "clocks"],
      ["ProbeStepUnwound", "clocks"],
      ["DeviceProbeFailed", "soft-reset"],
    ]);
    const failed = probe.find((e) => e.type === "ProbeStepFailed");
    expect(failed?.payload).toMatchObject({ step: "soft-reset", errno: -110 });
    // 100 ms of polling after the reset was requested at ~1 µs
    expect(failed!.timeNs).toBeGreaterThanOrEqual(100 * MS);
    expect(failed!.timeNs).toBeLessThan(101 * MS);
  });

  it("times out an L2 that never becomes ready within 20 ms and powers nothing down it did not power up", () => {
    const slow = { ...g610, power: { ...g610.power, l2_power_up_ns: 30 * MS } };
    const { story } = boot(slow);
    expect(story).toContainEqual(["ProbeStepFailed", "l2-power"]);
    expect(story.filter(([t, s]) => t === "ProbeStepUnwound" && s === "l2-power")).toHaveLength(0);
    expect(story.at(-1)).toEqual(["DeviceProbeFailed", "l2-power"]);
  });

  it("fails the firmware step with -ETIMEDOUT when the MCU does not boot within 1000 ms, and unwinds it in reverse", () => {
    // given an image whose boot descriptor the MCU rejects (40 CSGs): it stays DISABLED, no GLOBAL_IF
    const bad = { ...g610, firmware: { ...g610.firmware, csg_slot_count: 40 } };
    const { story, probe } = boot(bad, undefined, 1500 * MS);
    const failed = probe.find((e) => e.type === "ProbeStepFailed")!;
    expect(failed.payload).toEqual({ step: "firmware", errno: -110, detail: "Failed to boot MCU (status=disabled)" });
    const mmuDone = probe.find((e) => (e.payload as { step?: string }).step === "mmu")!;
    expect(failed.timeNs - mmuDone.timeNs).toBeGreaterThanOrEqual(1000 * MS);
    expect(failed.timeNs - mmuDone.timeNs).toBeLessThan(1001 * MS);
    // and every piece of the firmware step is undone, last first, before the earlier steps
    const undone = probe.filter((e) => e.type === "ProbeStepUnwound").map((e) => (e.payload as { what: string }).what);
    expect(undone.slice(0, 6)).toEqual([
      "MCU_CONTROL=DISABLE", "JOB_INT_MASK=0, job IRQ freed", "AS0 disabled", "firmware sections unmapped and freed", "MCU VM freed", "MMU_INT_MASK=0",
    ]);
    expect(story.at(-1)).toEqual(["DeviceProbeFailed", "firmware"]);
  });

  it("fails the firmware step with -EINVAL when the interfaces break panthor's rules (fewer than 3 CSGs)", () => {
    const bad = { ...g610, firmware: { ...g610.firmware, csg_slot_count: 2 } };
    const { probe } = boot(bad);
    expect(probe.find((e) => e.type === "ProbeStepFailed")?.payload).toEqual({ step: "firmware", errno: -22, detail: "Invalid number of control groups" });
  });

  it("reads csif_info from the interfaces the firmware wrote, clamped to 16 CSG slots by the scheduler", () => {
    const big = { ...g610, firmware: { ...g610.firmware, csg_slot_count: 20 } };
    const { probe } = boot(big);
    expect(probe.find((e) => (e.payload as { step?: string }).step === "sched")?.payload).toMatchObject({ detail: expect.stringMatching(/^16 CSG slots, 8 CS per CSG, 7 user AS/) });
  });
});
