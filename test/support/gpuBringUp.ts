import type { Envelope } from "../../shared/events/envelope.ts";
import type { GpuModel } from "../../shared/gpu/model.ts";
import { PAGE_SIZE, PhysicalMemory } from "../../shared/gpu/physicalMemory.ts";
import {
  AS_COMMAND, AS_STATUS_AS_ACTIVE, AS_TRANSCFG, GPU_CMD, GPU_CONTROL as G, GPU_IRQ, asRegister, asTranscfgInaBits, mmuVaBits,
} from "../../shared/gpu/registers.ts";
import { MemoryLogSink } from "../../shared/log/jsonlSink.ts";
import { Simulation } from "../../shared/runtime/simulation.ts";
import { createCatalogue } from "../../services/catalogue.ts";
import { MemoryWritten } from "../../services/memory/memoryEvents.ts";
import { memoryPaths } from "../../services/memory/memoryReplica.ts";
import { encodeBytes, pageWrites } from "../../services/memory/memoryWrites.ts";
import { map, unmap } from "../../services/mmu/iommuMap.ts";
import { createPageTable, transtab, type PageTable } from "../../services/mmu/pageTable.ts";
import { JobDispatched } from "../../services/shader/shaderEvents.ts";
import { shaderPaths } from "../../services/shader/shaderPaths.ts";
import type { PayloadOf } from "../../shared/events/registry.ts";
import { gpuHardware } from "../../services/world.ts";
import { poll, publish, scriptedDriverActor, waitFor, write, type DriverOp, type DriverScript } from "./scriptedDriver.ts";

/** One microsecond in ns. */
export const US = 1_000;

/** A piece of a driver script. */
export type Steps<T = void> = Generator<DriverOp, T, unknown>;

/**
 * The driver's own view of one GPU VM: an io-pgtable page table built in a scratch copy of RAM
 * (the CPU's side), whose changed table pages are published as `MemoryWritten` — how the CPU's
 * page-table updates reach the GPU's memory. Frames come from the scratch allocator, so the PAs
 * it hands out are free in the shared RAM too as long as only this VM allocates.
 */
export class DriverVm {
  readonly scratch: PhysicalMemory;
  readonly pt: PageTable;
  private readonly published = new Map<number, string>();

  /**
   * @param reservedBytes RAM at the bottom the VM never allocates (firmware, kernel: anything but PA 0 for tables).
   * @param shared another VM whose scratch RAM (and frame allocator) this one shares, as the
   *   MCU VM and the user VMs share the kernel's page allocator.
   */
  constructor(ramBytes: number, reservedBytes = 0x10_0000, shared?: DriverVm) {
    this.scratch = shared?.scratch ?? new PhysicalMemory(ramBytes);
    if (shared === undefined) this.scratch.allocFrames(reservedBytes / PAGE_SIZE);
    this.pt = createPageTable(this.scratch);
  }

  /** Allocate page frames, returning their physical addresses. */
  frames(n: number): number[] {
    return this.scratch.allocFrames(n).map((f) => f * PAGE_SIZE);
  }

  /** Map `size` bytes at `va` to `pa` (`iommu_map`); throws on an errno. */
  map(va: number, pa: number, size: number, prot: number): void {
    const ret = map(this.pt, va, pa, size, prot);
    if (ret !== 0) throw new Error(`map 0x${va.toString(16)} failed: ${ret}`);
  }

  /** Unmap `size` bytes at `va`. */
  unmap(va: number, size: number): void {
    if (unmap(this.pt, va, size) !== size) throw new Error(`unmap 0x${va.toString(16)} failed`);
  }

  /** The CPU writes every table page that changed since the last call. */
  *publishTables(): Steps {
    for (const w of pageWrites("cpu", this.scratch, this.pt.tablePages)) {
      if (this.published.get(w.pa) === w.data) continue;
      this.published.set(w.pa, w.data);
      yield* publish(MemoryWritten, memoryPaths(0).write, w);
    }
  }
}

/** `panthor_gpu_soft_reset()`: clear, SOFT_RESET, poll RAWSTAT every 10 µs, clear again. Returns the reads it took. */
export function* softReset(): Steps<number> {
  let reads = 0;
  yield* write(G.GPU_INT_CLEAR, GPU_IRQ.RESET_COMPLETED);
  yield* write(G.GPU_CMD, GPU_CMD.SOFT_RESET);
  yield* poll(G.GPU_INT_RAWSTAT, (v) => (reads++, (v & GPU_IRQ.RESET_COMPLETED) !== 0), 10 * US, 100_000 * US);
  yield* write(G.GPU_INT_CLEAR, GPU_IRQ.RESET_COMPLETED);
  return reads;
}

/** `panthor_gpu_power_on()`: write PWRON_LO, poll READY every 100 µs (20 ms timeout). */
export function* powerOn(pwron: number, ready: number, mask: number): Steps {
  yield* write(pwron, mask);
  yield* poll(ready, (v) => (v & mask) === mask, 100 * US, 20_000 * US);
}

/** `panthor_mmu_as_enable()`: TRANSTAB, MEMATTR, TRANSCFG, then UPDATE and wait for AS_ACTIVE to clear (10 µs polls). */
export function* enableAs(as: number, vm: DriverVm, model: GpuModel): Steps {
  const t = transtab(vm.pt);
  const transcfg = AS_TRANSCFG.ADRMODE_AARCH64_4K | asTranscfgInaBits(55 - mmuVaBits(model.features.mmu_features)) |
    AS_TRANSCFG.PTW_MEMATTR_WB | AS_TRANSCFG.PTW_SH_OS | AS_TRANSCFG.PTW_RA;
  yield* write(asRegister(as, "TRANSTAB_LO"), Number(t & 0xffff_ffffn));
  yield* write(asRegister(as, "TRANSTAB_HI"), Number(t >> 32n));
  // MEMATTR: any value; the model keeps it without interpreting it (no caches).
  yield* write(asRegister(as, "MEMATTR_LO"), 0x8888_8888);
  yield* write(asRegister(as, "MEMATTR_HI"), 0x8888_8888);
  yield* write(asRegister(as, "TRANSCFG_LO"), transcfg >>> 0);
  yield* write(asRegister(as, "TRANSCFG_HI"), 0);
  yield* asCommand(as, AS_COMMAND.UPDATE);
}

/** Write AS_COMMAND and wait for AS_ACTIVE to clear (`wait_ready()`: 10 µs polls, 100 ms timeout). */
export function* asCommand(as: number, command: number): Steps {
  yield* write(asRegister(as, "COMMAND"), command);
  yield* poll(asRegister(as, "STATUS"), (v) => (v & AS_STATUS_AS_ACTIVE) === 0, 10 * US, 100_000 * US);
}

/** The firmware stand-in: dispatch a job and wait for its end (`JobCompleted` or `JobFaulted`). */
export function* runJob(job: PayloadOf<typeof JobDispatched>): Steps<Envelope> {
  yield* publish(JobDispatched, shaderPaths(0).dispatch, job);
  return yield* waitFor((e) => (e.type === "JobCompleted" || e.type === "JobFaulted") && (e.payload as { job: string }).job === job.job);
}

/** The CPU writes `bytes` at `pa` (user space filling a buffer through its mmap). */
export function* cpuWrite(pa: number, bytes: number[]): Steps {
  yield* publish(MemoryWritten, memoryPaths(0).write, { agent: "cpu", pa, data: encodeBytes(Uint8Array.from(bytes)) });
}

/** Bytes as a JobDispatched write. */
export const bytesAt = (va: number, bytes: number[]) => ({ va, data: encodeBytes(Uint8Array.from(bytes)) });

/** Options of {@link createBench}. */
export interface BenchOptions {
  /** The shared RAM (create it first when the script must read it, as a CPU mapping would). */
  readonly mem?: PhysicalMemory;
  /** Subject paths the driver listens to besides the IRQ lines and job ends. */
  readonly listens?: readonly string[];
}

/**
 * A GPU (every hardware actor of `services/world.ts`, jitter 0) and a scripted driver `drv`
 * that listens to IRQ lines and job ends. Returns the simulation, its log and the shared RAM.
 */
export function createBench(model: GpuModel, script: () => DriverScript, opts: BenchOptions = {}) {
  const sink = new MemoryLogSink();
  const sim = new Simulation({ run: "bringup", seed: 1, registry: createCatalogue(), sink });
  const mem = opts.mem ?? new PhysicalMemory(model.memory.system_ram_bytes);
  for (const a of gpuHardware(model, 0, 0, mem)) sim.addActor(a);
  sim.addActor(scriptedDriverActor("drv", 0, ["gpu0.irq", "gpu0.shader.job", ...(opts.listens ?? [])], script));
  return { sim, sink, mem };
}
