import { describe, expect, it } from "vitest";
import { EventRegistry } from "../../shared/events/registry.ts";
import { systemEvents } from "../../shared/events/systemEvents.ts";
import { loadGpuModel } from "../../shared/gpu/loadModel.ts";
import {
  AS_COMMAND, AS_STATUS_AS_ACTIVE, CACHE_OP, GPU_CMD, GPU_CONTROL as G, GPU_IRQ, JOB_CONTROL as J, MMU_CONTROL as M,
  asRegister, csfDoorbell, gpuFlushCaches,
} from "../../shared/gpu/registers.ts";
import { MemoryLogSink } from "../../shared/log/jsonlSink.ts";
import { Simulation } from "../../shared/runtime/simulation.ts";
import { AsCommandCompleted, AsFaultRaised, mmuEvents } from "../mmu/mmuEvents.ts";
import { mmuPaths } from "../mmu/mmuPaths.ts";
import { PowerDomainChanged, powerEvents, PowerTransitionStarted } from "../power/powerEvents.ts";
import { powerPaths } from "../power/powerService.ts";
import { regsConfigFromModel } from "./regsConfig.ts";
import { IrqRaised, MmioReadIssued, MmioWriteIssued, regsEvents } from "./regsEvents.ts";
import { regsPaths } from "./regsPaths.ts";
import { regsActor } from "./regsService.ts";

const US = 1_000;
const model = loadGpuModel("mali-g610-rk3588");

function harness() {
  const registry = new EventRegistry().register(...systemEvents, ...regsEvents, ...powerEvents, ...mmuEvents);
  const sink = new MemoryLogSink();
  const sim = new Simulation({ run: "t", seed: 1, registry, sink });
  sim.addActor(regsActor(regsConfigFromModel(model, 0)));
  const p = regsPaths(0);
  let tags = 0;
  const write = (offset: number, value: number, at: number) => sim.input("drv", MmioWriteIssued, p.mmio, { offset, value }, at);
  const read = (offset: number, at: number) => sim.input("drv", MmioReadIssued, p.mmio, { offset, tag: `r${tags++}` }, at);
  const reads = () => sink.events.filter((e) => e.type === "MmioReadCompleted").map((e) => [e.timeNs, (e.payload as { name: string }).name, (e.payload as { value: number }).value]);
  const of = (type: string) => sink.events.filter((e) => e.type === type).map((e) => [e.timeNs, e.payload]);
  return { sim, sink, write, read, reads, of };
}

describe("register file actor", () => {
  it("sets RESET_COMPLETED only after the model's soft-reset time, so the driver must poll", () => {
    // given the GPU IRQ unmasked for RESET_COMPLETED
    const h = harness();
    h.write(G.GPU_INT_MASK, GPU_IRQ.RESET_COMPLETED, 0);
    // when the driver issues SOFT_RESET and reads RAWSTAT at 100 µs and 210 µs, then clears it
    h.write(G.GPU_CMD, GPU_CMD.SOFT_RESET, 0);
    h.read(G.GPU_INT_RAWSTAT, 100 * US);
    h.read(G.GPU_INT_RAWSTAT, 210 * US);
    h.write(G.GPU_INT_CLEAR, GPU_IRQ.RESET_COMPLETED, 220 * US);
    h.sim.run();
    // then the first read sees nothing, the reset completes at 200 µs with the GPU line raised, and the clear lowers it
    expect(h.reads()).toEqual([[100 * US, "GPU_INT_RAWSTAT", 0], [210 * US, "GPU_INT_RAWSTAT", GPU_IRQ.RESET_COMPLETED]]);
    expect(h.of("GpuSoftResetCompleted")).toEqual([[200 * US, { kind: "soft" }]]);
    expect(h.of("IrqLineChanged")).toEqual([
      [200 * US, { line: "gpu", asserted: true, status: GPU_IRQ.RESET_COMPLETED }],
      [220 * US, { line: "gpu", asserted: false, status: 0 }],
    ]);
  });

  it("drops a GPU command written during a reset, and flushes caches after the model's flush time", () => {
    const h = harness();
    h.write(G.GPU_CMD, GPU_CMD.SOFT_RESET, 0);
    h.write(G.GPU_CMD, GPU_CMD.SOFT_RESET, 10 * US);
    h.write(G.GPU_INT_CLEAR, 0xffff_ffff, 300 * US);
    h.write(G.GPU_CMD, gpuFlushCaches(CACHE_OP.CLEAN_INV, CACHE_OP.CLEAN_INV, CACHE_OP.NONE), 300 * US);
    h.read(G.GPU_INT_RAWSTAT, 319 * US);
    h.read(G.GPU_INT_RAWSTAT, 321 * US);
    h.sim.run();
    expect(h.of("RegisterWriteIgnored")).toEqual([[10 * US, { offset: G.GPU_CMD, name: "GPU_CMD", value: GPU_CMD.SOFT_RESET, reason: "busy" }]]);
    expect(h.reads().map((r) => r[2])).toEqual([0, GPU_IRQ.CLEAN_CACHES_COMPLETED]);
  });

  it("forwards PWRON/PWROFF to the power controller and mirrors its facts in READY/PWRTRANS", () => {
    const h = harness();
    h.write(G.L2_PWRON_LO, 1, 0);
    h.sim.input("pwr", PowerTransitionStarted, powerPaths(0).state, { domain: "l2", direction: "up", trans: 1, latencyNs: 50 * US }, 0);
    h.read(G.L2_PWRTRANS_LO, 1 * US);
    h.sim.input("pwr", PowerDomainChanged, powerPaths(0).state, { domain: "l2", ready: 1, trans: 0 }, 50 * US);
    h.read(G.L2_READY_LO, 60 * US);
    h.read(G.GPU_INT_RAWSTAT, 60 * US);
    h.sim.run();
    expect(h.of("PowerOnRequested")).toEqual([[0, { domain: "l2", mask: 1 }]]);
    expect(h.reads()).toEqual([
      [1 * US, "L2_PWRTRANS_LO", 1],
      [60 * US, "L2_READY_LO", 1],
      [60 * US, "GPU_INT_RAWSTAT", GPU_IRQ.POWER_CHANGED | GPU_IRQ.POWER_CHANGED_ALL],
    ]);
  });

  it("issues AS commands with the AS registers and shows AS_ACTIVE until the MMU completes", () => {
    const h = harness();
    h.write(asRegister(1, "TRANSTAB_LO"), 0x5000, 0);
    h.write(asRegister(1, "TRANSCFG_LO"), 0x1c6, 0);
    h.write(asRegister(1, "COMMAND"), AS_COMMAND.UPDATE, 0);
    h.read(asRegister(1, "STATUS"), 500);
    h.sim.input("mmu", AsCommandCompleted, mmuPaths(0).status, { as: 1, command: "UPDATE" }, 1 * US);
    h.read(asRegister(1, "STATUS"), 2 * US);
    h.sim.run();
    expect(h.of("AsCommandIssued")).toEqual([
      [0, { as: 1, command: "UPDATE", transtab: "0x5000", memattr: "0x0", transcfg: "0x1c6", lockaddr: "0x0", faultPending: false }],
    ]);
    expect(h.reads().map((r) => r[2])).toEqual([AS_STATUS_AS_ACTIVE, 0]);
  });

  it("latches an MMU fault, raises the MMU line when unmasked, and reports the fault bit on the next AS command", () => {
    const h = harness();
    h.write(M.MMU_INT_MASK, 0xffff, 0);
    h.sim.input("mmu", AsFaultRaised, mmuPaths(0).fault, { as: 1, faultStatus: 0x2c3, faultAddress: 0x4000_1000, exceptionType: 0xc3, exceptionName: "TRANSLATION_FAULT_3", accessType: 2 }, 5 * US);
    h.read(asRegister(1, "FAULTSTATUS"), 6 * US);
    h.read(asRegister(1, "FAULTADDRESS_LO"), 6 * US);
    h.write(asRegister(1, "COMMAND"), AS_COMMAND.UPDATE, 7 * US);
    h.write(M.MMU_INT_CLEAR, 0b10, 8 * US);
    h.sim.run();
    expect(h.reads().map((r) => r[2])).toEqual([0x2c3, 0x4000_1000]);
    expect(h.of("IrqLineChanged")).toEqual([
      [5 * US, { line: "mmu", asserted: true, status: 0b10 }],
      [8 * US, { line: "mmu", asserted: false, status: 0 }],
    ]);
    expect(h.of("AsCommandIssued")[0]?.[1]).toMatchObject({ faultPending: true });
  });

  it("rings doorbells, passes MCU_CONTROL on, takes the firmware's JOB_INT bits and reports dropped writes", () => {
    const h = harness();
    h.write(csfDoorbell(0), 1, 0);
    h.write(G.MCU_CONTROL, 2, 0);
    h.write(J.JOB_INT_MASK, 0xffff_ffff, 0);
    h.sim.input("mcu", IrqRaised, regsPaths(0).raise, { line: "job", bits: 0x8000_0000 }, 1 * US);
    h.write(G.GPU_ID, 0, 2 * US);
    h.sim.run();
    expect(h.of("DoorbellRung")).toEqual([[0, { doorbell: 0 }]]);
    expect(h.of("McuControlWritten")).toEqual([[0, { value: 2 }]]);
    expect(h.of("IrqLineChanged")).toEqual([[1 * US, { line: "job", asserted: true, status: 0x8000_0000 }]]);
    expect(h.of("RegisterWriteIgnored")).toEqual([[2 * US, { offset: G.GPU_ID, name: "GPU_ID", value: 0, reason: "read-only" }]]);
  });
});
