import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Envelope } from "../shared/events/envelope.ts";
import { loadGpuModel } from "../shared/gpu/loadModel.ts";
import type { GpuModel } from "../shared/gpu/model.ts";
import { popcount } from "../shared/gpu/model.ts";
import { PAGE_SIZE } from "../shared/gpu/physicalMemory.ts";
import {
  AS_COMMAND, AS_TRANSCFG, GPU_CONTROL as G, GPU_IRQ, JOB_CONTROL as J, MMU_CONTROL as M, asRegister, jobIntCsgIf,
} from "../shared/gpu/registers.ts";
import { decodeBytes } from "../services/memory/memoryWrites.ts";
import { packRegionRange } from "../services/mmu/lockRegion.ts";
import { IOMMU_PROT } from "../services/mmu/pteFormat.ts";
import { initialOppOf } from "../services/power/powerConfig.ts";
import { IrqRaised } from "../services/regs/regsEvents.ts";
import { regsPaths } from "../services/regs/regsPaths.ts";
import { JobDispatched } from "../services/shader/shaderEvents.ts";
import { shaderPaths } from "../services/shader/shaderPaths.ts";
import { DriverVm, US, asCommand, bytesAt, cpuWrite, createBench, enableAs, powerOn, runJob, softReset, type Steps } from "./support/gpuBringUp.ts";
import { poll, publish, read, sleep, waitFor, write, type DriverScript } from "./support/scriptedDriver.ts";

const G610 = loadGpuModel("mali-g610-rk3588");
const { READ: R, WRITE: W, NOEXEC: NX } = IOMMU_PROT;
const IN_VA = 0x10_0000;
const OUT_VA = 0x20_0000;
const INPUT = Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const OUTPUT = Array.from({ length: 16 }, (_, i) => i + 1);

/** The log without MMIO accesses (polls are checked on their own), the end of the run and energy; memory writes by address and size. */
function story(events: readonly Envelope[]): unknown[] {
  return events
    .filter((e) => !e.type.startsWith("Mmio") && e.type !== "RunEnded" && e.type !== "EnergyReported")
    .map((e) => {
      if (e.type !== "MemoryWritten") return [e.timeNs, e.type, e.payload];
      const w = e.payload as { agent: string; pa: number; data: string };
      return [e.timeNs, e.type, { agent: w.agent, pa: w.pa, bytes: decodeBytes(w.data).length }];
    });
}

/** The reads the driver made: time, register, value. */
const reads = (events: readonly Envelope[]) =>
  events.filter((e) => e.type === "MmioReadCompleted").map((e) => [e.timeNs, (e.payload as { name: string }).name, (e.payload as { value: number }).value]);

const payloads = (events: readonly Envelope[], type: string) => events.filter((e) => e.type === type).map((e) => e.payload);

/** Frames of the VM: a read-only input page and two output pages in non-adjacent frames. */
interface Frames {
  readonly inPa: number;
  readonly out: readonly [number, number];
}

/**
 * Probe's hardware part, as panthor does it: IRQ masks, soft reset with polling, L2 then the
 * shader cores; then a VM on AS1 whose page tables the CPU writes into RAM, and AS1 enabled.
 */
function* bootAndMap(vm: DriverVm, model: GpuModel): Steps<Frames> {
  yield* write(G.GPU_INT_MASK, GPU_IRQ.FAULT | GPU_IRQ.RESET_COMPLETED);
  yield* write(J.JOB_INT_MASK, 0xffff_ffff);
  yield* write(M.MMU_INT_MASK, 0xffff);
  yield* softReset();
  yield* powerOn(G.L2_PWRON_LO, G.L2_READY_LO, 1);
  yield* powerOn(G.SHADER_PWRON_LO, G.SHADER_READY_LO, model.present.shader_present);
  const [inPa, out0, , out1] = vm.frames(4) as [number, number, number, number];
  vm.map(IN_VA, inPa, PAGE_SIZE, R | NX);
  vm.map(OUT_VA, out0, PAGE_SIZE, R | W | NX);
  vm.map(OUT_VA + PAGE_SIZE, out1, PAGE_SIZE, R | W | NX);
  yield* vm.publishTables();
  yield* cpuWrite(inPa, INPUT);
  yield* enableAs(1, vm, model);
  return { inPa, out: [out0, out1] };
}

/** A compute job on every core: reads the input page, writes 16 bytes across the two output pages. */
const job = (id: string, model: GpuModel, extra: Partial<Parameters<typeof runJob>[0]> = {}) => ({
  job: id, as: 1, kind: "compute" as const, coreMask: model.present.shader_present, cost: { cycles: 300_000 },
  ranges: [{ va: IN_VA, size: PAGE_SIZE, access: "read" as const }], writes: [bytesAt(OUT_VA + PAGE_SIZE - 8, OUTPUT)], ...extra,
});

/** The MMU IRQ handler (`panthor_mmu_irq_handler`): read STAT and the AS's fault registers, clear, mask the AS, disable it. */
function* handleMmuIrq(as: number): Steps<{ stat: number; status: number; address: number }> {
  yield* waitFor((e) => e.type === "IrqLineChanged" && (e.payload as { line: string; asserted: boolean }).line === "mmu");
  const stat = yield* read(M.MMU_INT_STAT);
  const status = yield* read(asRegister(as, "FAULTSTATUS"));
  const lo = yield* read(asRegister(as, "FAULTADDRESS_LO"));
  const hi = yield* read(asRegister(as, "FAULTADDRESS_HI"));
  yield* write(M.MMU_INT_CLEAR, stat);
  yield* write(M.MMU_INT_MASK, 0xffff & ~stat);
  yield* write(asRegister(as, "TRANSCFG_LO"), AS_TRANSCFG.ADRMODE_UNMAPPED);
  yield* asCommand(as, AS_COMMAND.UPDATE);
  return { stat, status, address: hi * 2 ** 32 + lo };
}

/** Bring-up plus one job, ended by the firmware stand-in raising JOB_INT for CSG slot 0, handled by the driver. */
function bringUpScript(vm: DriverVm, model: GpuModel, out: { frames?: Frames }): () => DriverScript {
  return function* () {
    out.frames = yield* bootAndMap(vm, model);
    yield* runJob(job("j1", model));
    yield* publish(IrqRaised, regsPaths(0).raise, { line: "job", bits: jobIntCsgIf(0) });
    yield* waitFor((e) => e.type === "IrqLineChanged");
    yield* write(J.JOB_INT_CLEAR, yield* read(J.JOB_INT_STAT));
  };
}

function runBringUp(model: GpuModel) {
  const vm = new DriverVm(model.memory.system_ram_bytes);
  const out: { frames?: Frames } = {};
  const bench = createBench(model, bringUpScript(vm, model, out));
  bench.sim.run();
  return { ...bench, frames: out.frames!, vm };
}

describe("hardware bring-up driven through registers", () => {
  it("resets, powers L2 then the cores, enables AS1 and runs a job whose output lands at the translated PAs", () => {
    const { sink, mem, frames } = runBringUp(G610);
    const { inPa, out } = frames;
    const TABLES = [0x10_0000, 0x10_5000, 0x10_6000, 0x10_7000, 0x10_8000];
    expect(inPa).toBe(0x10_1000);
    expect(out).toEqual([0x10_2000, 0x10_4000]);
    // then the blocks' facts come in this order, at these virtual times
    expect(story(sink.events)).toEqual([
      [200 * US, "GpuSoftResetCompleted", { kind: "soft" }],
      [200 * US, "IrqLineChanged", { line: "gpu", asserted: true, status: GPU_IRQ.RESET_COMPLETED }],
      [200 * US, "IrqLineChanged", { line: "gpu", asserted: false, status: 0 }],
      [200 * US, "PowerOnRequested", { domain: "l2", mask: 1 }],
      [200 * US, "PowerTransitionStarted", { domain: "l2", direction: "up", trans: 1, latencyNs: 50 * US }],
      [250 * US, "PowerDomainChanged", { domain: "l2", ready: 1, trans: 0 }],
      [300 * US, "PowerOnRequested", { domain: "shader", mask: 0x50005 }],
      [300 * US, "PowerTransitionStarted", { domain: "shader", direction: "up", trans: 0x50005, latencyNs: 10 * US }],
      [310 * US, "PowerDomainChanged", { domain: "shader", ready: 0x50005, trans: 0 }],
      ...TABLES.map((pa) => [400 * US, "MemoryWritten", { agent: "cpu", pa, bytes: PAGE_SIZE }]),
      [400 * US, "MemoryWritten", { agent: "cpu", pa: inPa, bytes: 16 }],
      [400 * US, "AsCommandIssued", { as: 1, command: "UPDATE", transtab: "0x100000", memattr: "0x8888888888888888", transcfg: "0x620001c6", lockaddr: "0x0", faultPending: false }],
      [401 * US, "AsCommandCompleted", { as: 1, command: "UPDATE" }],
      [410 * US, "JobDispatched", job("j1", G610)],
      [410 * US, "TranslationRequested", { requester: "gpu0.shader", job: "j1", as: 1, ranges: [{ va: IN_VA, size: PAGE_SIZE, access: "read" }, { va: OUT_VA + PAGE_SIZE - 8, size: 16, access: "write" }] }],
      [410 * US, "TranslationCompleted", {
        requester: "gpu0.shader", job: "j1", as: 1, ok: true,
        segments: [{ va: IN_VA, pa: inPa, size: PAGE_SIZE }, { va: OUT_VA + PAGE_SIZE - 8, pa: out[0] + PAGE_SIZE - 8, size: 8 }, { va: OUT_VA + PAGE_SIZE, pa: out[1], size: 8 }],
      }],
      // 300 000 cycles on 4 cores at the initial 300 MHz OPP: 250 µs
      [410 * US, "JobStarted", { job: "j1", as: 1, kind: "compute", cores: 0x50005, hz: 300_000_000, durationNs: 250 * US }],
      [410 * US, "DomainUtilisationReported", { domain: "shader", utilisation: 1 }],
      [660 * US, "MemoryWritten", { agent: "shader", pa: out[0] + PAGE_SIZE - 8, bytes: 8 }],
      [660 * US, "MemoryWritten", { agent: "shader", pa: out[1], bytes: 8 }],
      [660 * US, "JobCompleted", { job: "j1", as: 1, cores: 0x50005, cycles: 300_000, runNs: 250 * US }],
      [660 * US, "DomainUtilisationReported", { domain: "shader", utilisation: 0 }],
      [660 * US, "IrqRaised", { line: "job", bits: 1 }],
      [660 * US, "IrqLineChanged", { line: "job", asserted: true, status: 1 }],
      [660 * US, "IrqLineChanged", { line: "job", asserted: false, status: 0 }],
    ]);
    // and the driver polled: RAWSTAT every 10 µs until the reset completed, READY every 100 µs, AS_STATUS every 10 µs
    const r = reads(sink.events);
    expect(r.filter(([, n]) => n === "GPU_INT_RAWSTAT")).toEqual(Array.from({ length: 21 }, (_, i) => [i * 10 * US, "GPU_INT_RAWSTAT", i === 20 ? GPU_IRQ.RESET_COMPLETED : 0]));
    expect(r.filter(([, n]) => n !== "GPU_INT_RAWSTAT")).toEqual([
      [200 * US, "L2_READY_LO", 0], [300 * US, "L2_READY_LO", 1],
      [300 * US, "SHADER_READY_LO", 0], [400 * US, "SHADER_READY_LO", 0x50005],
      [400 * US, "AS1.STATUS", 1], [410 * US, "AS1.STATUS", 0],
      [660 * US, "JOB_INT_STAT", 1],
    ]);
    // and the output bytes are in RAM at the translated PAs
    expect([...mem.read(out[0] + PAGE_SIZE - 8, 8), ...mem.read(out[1], 8)]).toEqual(OUTPUT);
    expect([...mem.read(inPa, 16)]).toEqual(INPUT);
    expect(sink.events.filter((e) => e.type === "ActorHandlerFailed" || e.type === "MessageRejected")).toEqual([]);
  });

  it("works unchanged on the small G310-like model, with its own reset time, cores and clock", () => {
    const small = loadGpuModel("mali-g310-small");
    const { sink } = runBringUp(small);
    const at = (type: string) => sink.events.find((e) => e.type === type);
    expect(at("GpuSoftResetCompleted")?.timeNs).toBe(small.power.soft_reset_ns);
    const hz = initialOppOf(small.opp_table).hz;
    expect(at("JobStarted")?.payload).toMatchObject({ cores: small.present.shader_present, hz, durationNs: Math.ceil((300_000 * 1e9) / (popcount(small.present.shader_present) * hz)) });
    expect(at("JobCompleted")).toBeDefined();
  });

  it("gives the same log twice for the same script", () => {
    const digest = (events: readonly Envelope[]) => createHash("sha256").update(events.map((e) => JSON.stringify(e)).join("\n")).digest("hex");
    const a = runBringUp(G610).sink.events;
    const b = runBringUp(G610).sink.events;
    expect(a.length).toBeGreaterThan(50);
    expect(digest(a)).toBe(digest(b));
  });
});

describe("TLB maintenance seen from a job", () => {
  it("uses the stale translation after a remap without flush, and the new page after LOCK, FLUSH_PT and UNLOCK", () => {
    const vm = new DriverVm(G610.memory.system_ram_bytes);
    let moved = 0;
    const bench = createBench(G610, function* () {
      yield* bootAndMap(vm, G610);
      yield* runJob(job("before", G610, { writes: [] }));
      // the CPU moves the input page and rewrites the level-3 table, but the driver forgets the TLB
      [moved] = vm.frames(1) as [number];
      vm.unmap(IN_VA, PAGE_SIZE);
      vm.map(IN_VA, moved, PAGE_SIZE, R | NX);
      yield* vm.publishTables();
      yield* runJob(job("stale", G610, { writes: [] }));
      // then does it right: lock the region, flush the page-table walk, unlock
      const { lockaddr } = packRegionRange(IN_VA, PAGE_SIZE)!;
      yield* write(asRegister(1, "LOCKADDR_LO"), Number(lockaddr & 0xffff_ffffn));
      yield* write(asRegister(1, "LOCKADDR_HI"), Number(lockaddr >> 32n));
      yield* asCommand(1, AS_COMMAND.LOCK);
      yield* asCommand(1, AS_COMMAND.FLUSH_PT);
      yield* asCommand(1, AS_COMMAND.UNLOCK);
      yield* runJob(job("after", G610, { writes: [] }));
    });
    bench.sim.run();
    const translated = payloads(bench.sink.events, "TranslationCompleted").map((p) => {
      const t = p as { job: string; segments: { pa: number }[] };
      return [t.job, t.segments[0]?.pa];
    });
    expect(translated).toEqual([["before", 0x10_1000], ["stale", 0x10_1000], ["after", moved]]);
    expect(moved).not.toBe(0x10_1000);
    const commands = bench.sink.events.filter((e) => e.type === "AsCommandIssued" || e.type === "AsCommandCompleted");
    expect(commands.map((e) => [e.timeNs - commands[0]!.timeNs, e.type, (e.payload as { command: string }).command])).toEqual([
      [0, "AsCommandIssued", "UPDATE"], [1 * US, "AsCommandCompleted", "UPDATE"],
      // two 250 µs jobs after the UPDATE's 10 µs poll, then each command polled once 10 µs later
      [510 * US, "AsCommandIssued", "LOCK"], [511 * US, "AsCommandCompleted", "LOCK"],
      [520 * US, "AsCommandIssued", "FLUSH_PT"], [521 * US, "AsCommandCompleted", "FLUSH_PT"],
      [530 * US, "AsCommandIssued", "UNLOCK"], [531 * US, "AsCommandCompleted", "UNLOCK"],
    ]);
  });
});

describe("MMU faults seen through the registers", () => {
  /** Dispatch `spec` and run the MMU IRQ handler; returns what the handler read. */
  function faultRun(spec: (model: GpuModel) => Parameters<typeof runJob>[0]) {
    const vm = new DriverVm(G610.memory.system_ram_bytes);
    let seen = { stat: 0, status: 0, address: 0 };
    const bench = createBench(G610, function* () {
      yield* bootAndMap(vm, G610);
      yield* publish(JobDispatched, shaderPaths(0).dispatch, spec(G610));
      seen = yield* handleMmuIrq(1);
    });
    bench.sim.run();
    return { ...bench, seen };
  }

  it("faults a job touching an unmapped range with TRANSLATION_FAULT_3 at its VA and raises the MMU line", () => {
    const { sink, seen } = faultRun((m) => job("unmapped", m, { ranges: [{ va: IN_VA + 0x1_0000, size: 64, access: "read" }], writes: [] }));
    // FAULTSTATUS = exception 0xC3 | access READ (2) << 8
    expect(seen).toEqual({ stat: 0b10, status: 0x2c3, address: IN_VA + 0x1_0000 });
    expect(payloads(sink.events, "JobFaulted")).toMatchObject([{ job: "unmapped", reason: "mmu-fault", fault: { exceptionName: "TRANSLATION_FAULT_3" } }]);
    expect(payloads(sink.events, "IrqLineChanged").filter((p) => (p as { line: string }).line === "mmu")).toEqual([
      { line: "mmu", asserted: true, status: 0b10 },
      { line: "mmu", asserted: false, status: 0 },
    ]);
    // the driver disabled AS1 with the fault cleared: the slot is unconfigured again
    expect(sink.events.filter((e) => e.type === "AsCommandIssued").at(-1)?.payload).toMatchObject({ command: "UPDATE", transcfg: "0x1", faultPending: false });
  });

  it("faults a job writing a read-only page with PERM_FAULT_3 and access type WRITE", () => {
    const { sink, seen } = faultRun((m) => job("ro", m, { writes: [bytesAt(IN_VA + 0x40, [1, 2, 3, 4])] }));
    expect(seen).toEqual({ stat: 0b10, status: 0x3cb, address: IN_VA + 0x40 });
    expect(payloads(sink.events, "JobFaulted")).toMatchObject([{ job: "ro", reason: "mmu-fault", fault: { exceptionName: "PERM_FAULT_3", accessType: 3 } }]);
    expect(payloads(sink.events, "MemoryWritten").filter((p) => (p as { agent: string }).agent === "shader")).toEqual([]);
  });
});

describe("power and running jobs", () => {
  it("reports a job whose shader cores are powered off while it runs", () => {
    const vm = new DriverVm(G610.memory.system_ram_bytes);
    const bench = createBench(G610, function* () {
      yield* bootAndMap(vm, G610);
      yield* publish(JobDispatched, shaderPaths(0).dispatch, job("long", G610, { cost: { cycles: 3_000_000 } }));
      yield* sleep(100 * US);
      yield* write(G.SHADER_PWROFF_LO, G610.present.shader_present);
      yield* poll(G.SHADER_PWRTRANS_LO, (v) => v === 0, 100 * US, 20_000 * US);
    });
    bench.sim.run();
    const start = bench.sink.events.find((e) => e.type === "JobStarted")!.timeNs;
    const facts = bench.sink.events.filter((e) => ["PowerTransitionStarted", "PowerOffDuringJob", "JobFaulted", "PowerDomainChanged"].includes(e.type) && e.timeNs > start);
    expect(facts.map((e) => [e.timeNs - start, e.type, e.payload])).toEqual([
      [100 * US, "PowerTransitionStarted", { domain: "shader", direction: "down", trans: 0x50005, latencyNs: 5 * US }],
      [100 * US, "PowerOffDuringJob", { job: "long", cores: 0x50005 }],
      [100 * US, "JobFaulted", { job: "long", as: 1, reason: "power-lost" }],
      [105 * US, "PowerDomainChanged", { domain: "shader", ready: 0, trans: 0 }],
    ]);
    expect(payloads(bench.sink.events, "JobCompleted")).toEqual([]);
  });
});
