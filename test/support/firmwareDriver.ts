import type { Envelope } from "../../shared/events/envelope.ts";
import type { GpuModel } from "../../shared/gpu/model.ts";
import { PAGE_SIZE, type PhysicalMemory } from "../../shared/gpu/physicalMemory.ts";
import { GPU_CONTROL as G, JOB_CONTROL as J, JOB_INT_GLOBAL_IF, MCU_CONTROL, csfDoorbell } from "../../shared/gpu/registers.ts";
import { encodeStruct, type FieldSpec, type StructLayout, type StructOf } from "../../shared/gpu/structLayout.ts";
import { MemoryWritten } from "../../services/memory/memoryEvents.ts";
import { memoryPaths } from "../../services/memory/memoryReplica.ts";
import { encodeWrite } from "../../services/memory/memoryWrites.ts";
import { IOMMU_PROT } from "../../services/mmu/pteFormat.ts";
import { buildFirmwareImage, parseFirmwareImage, type FirmwareSection } from "../../services/firmware/index.ts";
import { discoverInterfaces, type DiscoveredInterfaces } from "../../services/firmware/interfaceDiscovery.ts";
import { CSF_MCU_SHARED_REGION_START } from "../../services/firmware/sharedRegion.ts";
import type { DriverVm, Steps } from "./gpuBringUp.ts";
import { now, publish, read, sleep, waitForTimeout, write } from "./scriptedDriver.ts";

/**
 * The firmware half of a panthor-like driver for scripted tests (panthor.md §3): load
 * `mali_csffw.bin` (built by tyrsim for the model) into frames of the MCU VM and map its sections
 * at their VAs (`panthor_fw_load()`), start the MCU and wait for GLOBAL_IF (`panthor_fw_start()`),
 * read the interfaces (`panthor_fw_init_ifaces()`), and the request/acknowledge helpers
 * (`panthor_fw_glb_wait_acks()` and friends) over a CPU mapping of the shared section — the CPU
 * reads the RAM replica and writes with `MemoryWritten` (agent cpu).
 */

/** One microsecond and one millisecond in ns. */
export const US = 1_000;
export const MS = 1_000_000;

/** The firmware image as the driver placed it. */
export interface LoadedFirmware {
  readonly sections: readonly (FirmwareSection & { readonly pa: number })[];
  /** PA of the shared section (contiguous frames). */
  readonly sharedPa: number;
}

/** `panthor_fw_load()`: frames for every section, data copied in, sections mapped unless `map` is false. */
export function* loadFirmware(vm: DriverVm, model: GpuModel, opts: { readonly map?: boolean } = {}): Steps<LoadedFirmware> {
  const parsed = parseFirmwareImage(buildFirmwareImage(model));
  if (!parsed.ok) throw parsed.error;
  const sections = [];
  for (const s of parsed.image.sections) {
    const size = s.va.end - s.va.start;
    const frames = vm.frames(size / PAGE_SIZE);
    if (frames.some((pa, i) => pa !== frames[0]! + i * PAGE_SIZE)) throw new Error(`section ${s.name}: frames not contiguous`);
    const pa = frames[0]!;
    const prot = (s.read ? IOMMU_PROT.READ : 0) | (s.write ? IOMMU_PROT.WRITE : 0) | (s.exec ? 0 : IOMMU_PROT.NOEXEC);
    if (opts.map !== false) vm.map(s.va.start, pa, size, prot);
    if (s.data.length > 0) yield* publish(MemoryWritten, memoryPaths(0).write, encodeWrite("cpu", pa, s.data));
    sections.push({ ...s, pa });
  }
  yield* vm.publishTables();
  return { sections, sharedPa: sections.find((s) => s.va.start === CSF_MCU_SHARED_REGION_START)!.pa };
}

/** Whether an event is the job IRQ line being asserted. */
export const jobLineAsserted = (e: Envelope): boolean =>
  e.type === "IrqLineChanged" && (e.payload as { line: string; asserted: boolean }).line === "job" && (e.payload as { asserted: boolean }).asserted;

/** The JOB IRQ handler: read JOB_INT_STAT, clear what it found; returns the bits (0 when nothing was pending). */
export function* handleJobIrq(seen?: number[]): Steps<number> {
  const stat = yield* read(J.JOB_INT_STAT);
  if (stat !== 0) {
    yield* write(J.JOB_INT_CLEAR, stat);
    seen?.push(stat);
  }
  return stat;
}

/** `panthor_fw_start()`: unmask JOB_INT, MCU_CONTROL = AUTO, wait ≤ 1000 ms for GLOBAL_IF. */
export function* startMcu(seen?: number[]): Steps<{ readonly booted: boolean; readonly status: number; readonly waitedNs: number }> {
  const t0 = yield* now();
  yield* write(J.JOB_INT_CLEAR, 0xffff_ffff);
  yield* write(J.JOB_INT_MASK, 0xffff_ffff);
  yield* write(G.MCU_CONTROL, MCU_CONTROL.AUTO);
  const e = yield* waitForTimeout(jobLineAsserted, 1000 * MS);
  const bits = e === undefined ? 0 : yield* handleJobIrq(seen);
  const status = yield* read(G.MCU_STATUS);
  return { booted: (bits & JOB_INT_GLOBAL_IF) !== 0, status, waitedNs: (yield* now()) - t0 };
}

/** The CPU's mapping of the shared section: MCU VA → RAM, reads from the replica, writes as events. */
export class SharedMapping {
  constructor(
    readonly mem: PhysicalMemory,
    readonly fw: LoadedFirmware,
  ) {}

  /** PA of MCU VA `va` inside the shared section. */
  pa(va: number): number {
    return this.fw.sharedPa + (va - CSF_MCU_SHARED_REGION_START);
  }

  read32(va: number): number {
    return new DataView(this.mem.read(this.pa(va), 4).buffer).getUint32(0, true);
  }

  /** A CPU store; the zero-length sleep lets it land before the script reads memory again (a CPU sees its own stores). */
  *write32(va: number, v: number): Steps {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    yield* publish(MemoryWritten, memoryPaths(0).write, encodeWrite("cpu", this.pa(va), b));
    yield* sleep(0);
  }

  *writeStruct<L extends readonly FieldSpec[]>(va: number, layout: StructLayout<L>, value: StructOf<L>): Steps {
    yield* publish(MemoryWritten, memoryPaths(0).write, encodeWrite("cpu", this.pa(va), new Uint8Array(encodeStruct(layout, value))));
    yield* sleep(0);
  }

  /** `panthor_fw_init_ifaces()` on the current bytes. */
  discover(size: number): DiscoveredInterfaces {
    const r = discoverInterfaces(this.mem.read(this.fw.sharedPa, size), CSF_MCU_SHARED_REGION_START);
    if (!r.ok) throw r.error;
    return r.value;
  }
}

/**
 * `panthor_fw_*_wait_acks()`: until `done()` (read from memory), service job IRQs with `irq`
 * (returns the JOB_INT bits it handled), at most `timeoutNs` (100 ms in panthor). Returns
 * whether it was acknowledged in time.
 */
export function* waitAcks(done: () => boolean, irq: () => Steps<number>, timeoutNs = 100 * MS): Steps<boolean> {
  const deadline = (yield* now()) + timeoutNs;
  for (;;) {
    if (done()) return true;
    if ((yield* irq()) !== 0) continue;
    const left = deadline - (yield* now());
    if (left <= 0) return done();
    const e = yield* waitForTimeout(jobLineAsserted, left);
    if (e === undefined) return done();
  }
}

/** Write a doorbell page (`gpu_write(CSF_DOORBELL(i), 1)`). */
export function* ringDoorbell(i: number): Steps {
  yield* write(csfDoorbell(i), 1);
}
