import type { Envelope } from "../../shared/events/envelope.ts";
import type { PayloadOf } from "../../shared/events/registry.ts";
import { loadGpuModel } from "../../shared/gpu/loadModel.ts";
import type { GpuModel } from "../../shared/gpu/model.ts";
import { PAGE_SIZE } from "../../shared/gpu/physicalMemory.ts";
import { GPU_CONTROL as G, GPU_IRQ, JOB_CONTROL as J, MMU_CONTROL as M } from "../../shared/gpu/registers.ts";
import { IOMMU_PROT } from "../../services/mmu/pteFormat.ts";
import type { JobDispatched } from "../../services/shader/shaderEvents.ts";
import { createTraceBuilder, type TraceOptions } from "../../trace/traceBuilder.ts";
import type { TraceEvent } from "../../trace/traceEvent.ts";
import { DriverVm, US, bytesAt, cpuWrite, createBench, enableAs, powerOn, softReset, type Steps } from "./gpuBringUp.ts";
import { write } from "./scriptedDriver.ts";
import { importChromeTrace, type ImportedTrace } from "./traceImport.ts";

/** The model the job runs use. */
export const G610 = loadGpuModel("mali-g610-rk3588");
/** The read-only input page of the job VM (AS1). */
export const IN_VA = 0x10_0000;
/** The writable output page of the job VM (AS1). */
export const OUT_VA = 0x20_0000;

/** Probe's hardware part, IRQ masks, soft reset, L2 then every core, then AS1 mapping IN_VA (read) and OUT_VA (read/write). */
function* bringUp(vm: DriverVm, model: GpuModel): Steps {
  yield* write(G.GPU_INT_MASK, GPU_IRQ.FAULT | GPU_IRQ.RESET_COMPLETED);
  yield* write(J.JOB_INT_MASK, 0xffff_ffff);
  yield* write(M.MMU_INT_MASK, 0xffff);
  yield* softReset();
  yield* powerOn(G.L2_PWRON_LO, G.L2_READY_LO, 1);
  yield* powerOn(G.SHADER_PWRON_LO, G.SHADER_READY_LO, model.present.shader_present);
  const [inPa, outPa] = vm.frames(2) as [number, number];
  vm.map(IN_VA, inPa, PAGE_SIZE, IOMMU_PROT.READ | IOMMU_PROT.NOEXEC);
  vm.map(OUT_VA, outPa, PAGE_SIZE, IOMMU_PROT.READ | IOMMU_PROT.WRITE | IOMMU_PROT.NOEXEC);
  yield* vm.publishTables();
  yield* cpuWrite(inPa, [1, 2, 3, 4]);
  yield* enableAs(1, vm, model);
}

/** A compute job in AS1 reading the input page and writing 4 bytes of output: 300 000 cycles. */
export const computeJob = (job: string, extra: Partial<PayloadOf<typeof JobDispatched>> = {}): PayloadOf<typeof JobDispatched> => ({
  job, as: 1, kind: "compute", coreMask: G610.present.shader_present, cost: { cycles: 300_000 },
  ranges: [{ va: IN_VA, size: PAGE_SIZE, access: "read" }], writes: [bytesAt(OUT_VA, [9, 8, 7, 6])], ...extra,
});

/** The log of a Mali-G610 brought up through its registers, then `script` (the firmware stand-in dispatching jobs). */
export function runJobs(script: () => Steps): Envelope[] {
  const vm = new DriverVm(G610.memory.system_ram_bytes);
  const bench = createBench(G610, function* () {
    yield* bringUp(vm, G610);
    yield* script();
  });
  bench.sim.run();
  return bench.sink.events;
}

/** The Chrome JSON text of a trace of `events`, as `tyrsim trace` lays it out. */
export function traceText(events: readonly Envelope[], opts: TraceOptions = {}): string {
  const out: TraceEvent[] = [];
  const b = createTraceBuilder((e) => out.push(e), opts);
  for (const e of events) b.push(e);
  b.finish();
  return `{"traceEvents":[\n${out.map((e) => JSON.stringify(e)).join(",\n")}\n],\n"displayTimeUnit":"ns"}\n`;
}

/** A trace of `events` read back as `importChromeTrace` sees it (tracks, slices, flows, format errors). */
export function traceOf(events: readonly Envelope[], opts: TraceOptions = {}): ImportedTrace {
  return importChromeTrace(traceText(events, opts));
}

/** One microsecond in ns (re-exported for the trace tests). */
export { US };
