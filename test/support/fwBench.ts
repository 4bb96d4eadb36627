import type { GpuModel } from "../../shared/gpu/model.ts";
import { PAGE_SIZE, PhysicalMemory } from "../../shared/gpu/physicalMemory.ts";
import { GPU_CONTROL as G, GPU_IRQ, MMU_CONTROL as M } from "../../shared/gpu/registers.ts";
import { MemoryWritten } from "../../services/memory/memoryEvents.ts";
import { memoryPaths } from "../../services/memory/memoryReplica.ts";
import { encodeWrite } from "../../services/memory/memoryWrites.ts";
import { IOMMU_PROT } from "../../services/mmu/pteFormat.ts";
import { buildJobWrapper, ringPlace, wordsToBytes } from "../../services/firmware/index.ts";
import { DriverVm, createBench, enableAs, powerOn, softReset, type Steps } from "./gpuBringUp.ts";
import { SharedMapping, loadFirmware, ringDoorbell, startMcu, type LoadedFirmware } from "./firmwareDriver.ts";
import { FwHost } from "./fwHost.ts";
import { publish, write, type DriverScript } from "./scriptedDriver.ts";

const { READ: R, WRITE: W, NOEXEC: NX } = IOMMU_PROT;

/** GPU VAs of the user VM (AS1) the firmware tests use: one BO each, one page unless noted. */
export const VA = {
  /** Rings, one 4 KiB ring per queue (queue q at ring + q × RING_SIZE). */
  ring: 0x80_0000,
  /** Queue sync objects, 16 bytes each (`panthor_syncobj_64b`). */
  syncobj: 0x81_0000,
  /** User streams, 16 pages. */
  streams: 0x82_0000,
  /** A user-level sync object linking two streams. */
  link: 0x83_0000,
  bo: 0x84_0000,
  /** A shader program descriptor page for RUN_COMPUTE. */
  spd: 0x85_0000,
} as const;
/** Pages of each user BO. */
const PAGES: Readonly<Record<keyof typeof VA, number>> = { ring: 4, syncobj: 1, streams: 16, link: 1, bo: 1, spd: 1 };
/** MCU VA of the queues' user I/O pages in AS0 (queue q: input at IO_VA + q × 2 pages, output one page later), in the kernel FW BO range. */
export const IO_VA = 0x0410_0000;
/** Queues the bench can program. */
const QUEUES = 4;
/** Ring size used by the tests. */
export const RING_SIZE = 4096;

/** A GPU with its firmware image, an MCU VM (AS0) and a user VM (AS1), as the driver set them up. */
export class FwWorld {
  readonly mem: PhysicalMemory;
  readonly mcuVm: DriverVm;
  readonly userVm: DriverVm;
  /** The user BOs: VA → { pa, bytes }. */
  readonly bos = new Map<number, { readonly name: string; readonly pa: number; readonly bytes: number }>();
  ioPa = 0;
  fw: LoadedFirmware | undefined;
  host: FwHost | undefined;
  /** CS_INSERT of each queue. */
  readonly inserts = new Array<number>(QUEUES).fill(0);

  constructor(readonly model: GpuModel) {
    this.mem = new PhysicalMemory(model.memory.system_ram_bytes);
    this.mcuVm = new DriverVm(model.memory.system_ram_bytes);
    this.userVm = new DriverVm(model.memory.system_ram_bytes, 0, this.mcuVm);
  }

  /** PA of a user VA inside one of the BOs. */
  pa(va: number): number {
    for (const [base, bo] of this.bos) if (va >= base && va < base + bo.bytes) return bo.pa + (va - base);
    throw new Error(`VA 0x${va.toString(16)} is in no BO`);
  }

  /** A little-endian u32 / u64 at a user VA, as the CPU reads it. */
  u32(va: number): number {
    return new DataView(this.mem.read(this.pa(va), 4).buffer).getUint32(0, true);
  }

  u64(va: number): bigint {
    return new DataView(this.mem.read(this.pa(va), 8).buffer).getBigUint64(0, true);
  }
}

/**
 * Probe up to a mapped firmware: IRQ masks, soft reset, L2 and cores powered, the image placed
 * and mapped in the MCU VM (unless `mapFirmware` is false), the queue's user I/O pages mapped
 * in AS0, the user BOs mapped in AS1, both ASes enabled.
 */
export function* bringUpGpu(w: FwWorld, opts: { readonly mapFirmware?: boolean } = {}): Steps {
  yield* write(G.GPU_INT_MASK, GPU_IRQ.FAULT | GPU_IRQ.RESET_COMPLETED);
  yield* write(M.MMU_INT_MASK, 0xffff);
  yield* softReset();
  yield* powerOn(G.L2_PWRON_LO, G.L2_READY_LO, 1);
  yield* powerOn(G.SHADER_PWRON_LO, G.SHADER_READY_LO, w.model.present.shader_present);
  w.fw = yield* loadFirmware(w.mcuVm, w.model, { map: opts.mapFirmware !== false });
  const [io] = w.mcuVm.frames(2 * QUEUES) as [number];
  w.ioPa = io;
  w.mcuVm.map(IO_VA, io, 2 * QUEUES * PAGE_SIZE, R | W | NX);
  yield* w.mcuVm.publishTables();
  yield* enableAs(0, w.mcuVm, w.model);
  for (const [name, va] of Object.entries(VA) as [keyof typeof VA, number][]) {
    const frames = w.userVm.frames(PAGES[name]);
    w.userVm.map(va, frames[0]!, PAGES[name] * PAGE_SIZE, R | W | NX);
    w.bos.set(va, { name, pa: frames[0]!, bytes: PAGES[name] * PAGE_SIZE });
  }
  yield* w.userVm.publishTables();
  yield* enableAs(1, w.userVm, w.model);
}

/** Boot the MCU, read the interfaces and initialise the global interface; the host, or undefined when the MCU did not boot. */
export function* bootFirmware(w: FwWorld): Steps<FwHost | undefined> {
  const seen: number[] = [];
  const boot = yield* startMcu(seen);
  if (!boot.booted) return undefined;
  const shared = w.fw!.sections.find((s) => s.pa === w.fw!.sharedPa)!;
  const map = new SharedMapping(w.mem, w.fw!);
  w.host = new FwHost(map, map.discover(shared.va.end - shared.va.start));
  w.host.seen.push(...seen);
  if (!(yield* w.host.initGlobal(w.model))) throw new Error("GLB init not acknowledged");
  return w.host;
}

/**
 * Queue `q` of the bench: CS 0 of CSG slot `q`, its ring at `VA.ring + q × RING_SIZE`, its user
 * I/O pages at `IO_VA + q × 2 pages`, its sync object at `VA.syncobj + 16 q`, doorbell q + 1.
 */
export const queue = (q: number) => ({
  csg: q, ringVa: VA.ring + q * RING_SIZE, inputVa: IO_VA + 2 * q * PAGE_SIZE, outputVa: IO_VA + (2 * q + 1) * PAGE_SIZE,
  syncobj: VA.syncobj + 16 * q, doorbell: q + 1,
});

/** Program queue `q` and start its group on CSG slot `q`, AS1 (`tick_ctx_apply()` for one group). */
export function* startGroup(w: FwWorld, priority = 15, q = 0): Steps<boolean> {
  const h = w.host!;
  const Q = queue(q);
  yield* h.programCs(Q.csg, 0, { ringVa: Q.ringVa, ringSize: RING_SIZE, inputVa: Q.inputVa, outputVa: Q.outputVa, priority: 1 });
  yield* h.programCsg(Q.csg, { as: 1, priority, cores: w.model.present.shader_present });
  yield* h.ringCsgDoorbells(1 << Q.csg);
  return yield* h.csgWait(Q.csg);
}

/** Copy a user stream to `va` (CPU writes); returns its byte size. */
export function* writeStream(w: FwWorld, va: number, words: readonly bigint[]): Steps<number> {
  const bytes = wordsToBytes(words);
  yield* publish(MemoryWritten, memoryPaths(0).write, encodeWrite("cpu", w.pa(va), bytes));
  return bytes.length;
}

/**
 * `queue_run_job()` for queue `q`: copy `words` into its ring at CS_INSERT, write the new insert
 * in its user input page, ring its doorbell (CSG slot + 1).
 */
export function* submit(w: FwWorld, words: readonly bigint[], q = 0): Steps {
  const Q = queue(q);
  const start = w.inserts[q]!;
  const { writes, insert } = ringPlace({ base: Q.ringVa, size: RING_SIZE, insert: start, extract: start }, wordsToBytes(words));
  for (const x of writes) yield* publish(MemoryWritten, memoryPaths(0).write, encodeWrite("cpu", w.pa(x.va), x.bytes));
  w.inserts[q] = insert;
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(insert), true);
  yield* publish(MemoryWritten, memoryPaths(0).write, encodeWrite("cpu", w.ioPa + 2 * q * PAGE_SIZE, b));
  yield* ringDoorbell(Q.doorbell);
}

/** Submit user streams to queue `q`, each wrapped in the kernel's job wrapper around the queue's sync object. */
export function* submitJobs(w: FwWorld, streams: readonly { readonly va: number; readonly size: number }[], q = 0): Steps {
  yield* submit(w, streams.flatMap((s) => buildJobWrapper({ streamAddr: s.va, streamSize: s.size, latestFlush: 0, syncAddr: queue(q).syncobj })), q);
}

/** The bench: a GPU and a scripted driver given the world; `run()` runs it and throws on any actor failure (a script's own exception included). */
export function fwBench(model: GpuModel, script: (w: FwWorld) => DriverScript) {
  const w = new FwWorld(model);
  const bench = createBench(model, () => script(w), { mem: w.mem, listens: ["gpu0.fw.>"] });
  const run = () => {
    bench.sim.run();
    const failed = bench.sink.events.find((e) => e.type === "ActorHandlerFailed" || e.type === "MessageRejected");
    if (failed !== undefined) throw new Error(`${failed.type} at ${failed.timeNs} ns: ${JSON.stringify(failed.payload)}`);
  };
  return { ...bench, w, run };
}
