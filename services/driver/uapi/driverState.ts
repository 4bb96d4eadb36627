/**
 * The driver's memory-side state of one registered device, as panthor keeps it in
 * `struct panthor_device` (`ptdev->mmu`, the GEM objects) and per open file in
 * `struct panthor_file` (`pfile->vms`) plus `struct drm_file` (GEM and syncobj handle tables).
 *
 * One mutable object owned by the driver actor `drv<N>`; the ioctl handlers and kernel tasks in
 * this folder are the only code that changes it. GEM is the pure decider of `services/gem`
 * (state folded from its events), GPUVM the pure VA trees of `services/gpuvm`.
 */
import type { GpuModel } from "../../../shared/gpu/model.ts";
import type { PhysicalMemory } from "../../../shared/gpu/physicalMemory.ts";
import { mmuVaBits } from "../../../shared/gpu/registerFields.ts";
import { FenceRegistry, type DmaFence } from "../../fence/index.ts";
import { initialState, type GemState } from "../../gem/index.ts";
import type { GpuVm, PreparedBindOp, VmLayout } from "../../gpuvm/index.ts";
import type { PageTable } from "../../mmu/pageTable.ts";
import type { DeviceCtx } from "../deviceCtx.ts";
import { KMutex } from "../ktask.ts";
import type { FwDevice } from "../fw/fwTypes.ts";
import type { PanthorGroup, Scheduler, SchedulerMode } from "../sched/schedTypes.ts";
import type { HeapPool } from "../sched/tilerHeap.ts";
import { driverMemoryLayout, PageTableMemory, type DriverMemoryLayout, type DriverMemoryOptions } from "./driverMemory.ts";
import { KernelPagePool, type KernelVaSpace } from "./kernelBo.ts";
import { SyncobjStore } from "./syncobj.ts";
import type { FenceDiscipline } from "../fence/discipline.ts";

/** The lifecycle of a VM as VM_GET_STATE and VM_BIND see it (`vm->unusable`, `vm->destroyed`). */
export type VmStatus = "usable" | "unusable" | "destroyed";

/** One queued asynchronous VM_BIND op (`struct panthor_vm_bind_job`). */
export interface BindJob {
  readonly seq: number;
  readonly prepared: PreparedBindOp;
  /** In-fences: the job runs once every one has signalled. */
  readonly waits: readonly DmaFence[];
  /** The job's finished fence, already attached to the signal syncobjs. */
  readonly done: DmaFence;
}

/** `struct panthor_vm` of a user VM. */
export interface PanthorVm {
  /** Device-wide identity (never reused), for exclusive-BO checks and logs. */
  readonly uid: number;
  readonly file: number;
  /** The id in the file's VM pool (1..32). */
  readonly id: number;
  readonly layout: VmLayout;
  gpuvm: GpuVm;
  readonly pt: PageTable;
  /** AS slot while resident (`vm->as.id`). */
  as: number | undefined;
  /** Users of the AS binding: resident groups, the MCU (`vm->as.active_cnt`); at 0 the VM sits on the LRU. */
  asActiveCnt: number;
  /** The kernel VA section, where kernel BOs of this VM are placed (`vm->mm` range of the kernel). */
  readonly kernelVa: KernelVaSpace;
  /** The tiler heap pool, created by the first TILER_HEAP_CREATE (`vm->heaps.pool`). */
  heapPool: HeapPool | undefined;
  status: VmStatus;
  /** An MMU fault hit the VM's AS and was not handled (`vm->unhandled_fault`). */
  unhandledFault: boolean;
  /** The per-VM bind queue (drm_sched entity with credit limit 1): jobs in submission order. */
  readonly bindQueue: BindJob[];
  /** Fence context of the bind queue's finished fences. */
  readonly fenceContext: number;
  nextBindSeq: number;
}

/** A CPU mapping of a BO in the file's process (one mmap of the BO's fake offset). */
export interface CpuMapping {
  readonly obj: number;
  readonly length: number;
  /** mmap(2) calls still mapped (each holds a pin on the pages). */
  count: number;
}

/** `struct drm_file` + `struct panthor_file`. */
export interface DrmFileState {
  readonly id: number;
  readonly client: string;
  /** The opening process holds CAP_SYS_NICE (`group_priority_permit` lets it above MEDIUM). */
  readonly capSysNice: boolean;
  status: "open" | "closing";
  /** `pfile->vms`: VM id → VM. */
  readonly vms: Map<number, PanthorVm>;
  /** Live CPU mappings by fake mmap offset. */
  readonly mappings: Map<number, CpuMapping>;
  /** `pfile->groups`: group handle (1..128) → group. */
  readonly groups: Map<number, PanthorGroup>;
}

/** Options of the driver's memory side. */
export interface DriverStateOptions extends DriverMemoryOptions {
  /** Driver minor version: 1.7 adds BO_QUERY_INFO, BO_SYNC and WB_MMAP. Default 5 (what Tyr registers). */
  readonly uapiMinor?: number;
  /**
   * How jobs reach the rings: `jobqueue` (default; the Rust JobQueue Tyr moves to) or `drm_sched`
   * (panthor's drm_gpu_scheduler per queue), for side-by-side comparison.
   */
  readonly scheduler?: SchedulerMode;
  /**
   * Allocation policy on the fence-signalling path (job completion): `safe` (default) never
   * allocates with reclaim there; `unsafe` does, and deadlocks under memory pressure.
   */
  readonly fencePolicy?: "safe" | "unsafe";
}

/** The device-wide state (see the module comment). */
export interface DriverState {
  /** The device: probed while probe finishes (MMU, firmware, scheduler), registered once `drm_dev_register()` ran. */
  dev: DeviceCtx<"probed"> | DeviceCtx<"registered">;
  readonly model: GpuModel;
  readonly vaBits: number;
  readonly uapiMinor: number;
  /** This process's replica of system RAM (CPU reads: mmap reads, zero-fill checks, swap-out). */
  readonly ram: PhysicalMemory;
  readonly layout: DriverMemoryLayout;
  /** The CPU's view of the page-table pool. */
  readonly ptMem: PageTableMemory;
  /** Pages of kernel BOs, from the carve-out. */
  readonly kernelPages: KernelPagePool;
  gem: GemState;
  /** BO labels (BO_SET_LABEL), by object. */
  readonly labels: Map<number, string>;
  /** Exclusive BOs: object → uid of the VM whose resv they share. */
  readonly exclusiveOwner: Map<number, number>;
  /** Page contents the shrinker swapped out, by object (frame index → bytes; zero pages omitted). */
  readonly swap: Map<number, Map<number, Uint8Array>>;
  readonly files: Map<number, DrmFileState>;
  nextFile: number;
  nextVmUid: number;
  /** AS slot → VM (`ptdev->mmu->as.slots[]`); AS0 (the MCU VM) is not listed. */
  readonly asSlots: Map<number, PanthorVm>;
  /** VMs holding an AS with no active user, least recently used first (`ptdev->mmu->as.lru_list`). */
  readonly asLru: PanthorVm[];
  /** ASes with an unhandled fault (`ptdev->mmu->as.faulty_mask`). */
  faultyMask: number;
  readonly fences: FenceRegistry;
  readonly syncobjs: SyncobjStore;
  /** `ptdev->mmu->as.slots_lock` and every VM's `op_lock` in one: page-table and AS updates are serialised. */
  readonly mmLock: KMutex;
  /** The MCU's VM on AS0 (`ptdev->fw->vm`), from the probe's firmware step on. */
  mcuVm: PanthorVm | undefined;
  /** The booted firmware and its interfaces (`ptdev->fw`). */
  fw: FwDevice | undefined;
  /** The group scheduler (`ptdev->scheduler`), from the probe's sched step on. */
  sched: Scheduler | undefined;
  /** The fence-signalling discipline (`services/driver/fence/`), attached by the driver actor once the device is up. */
  fence: FenceDiscipline | undefined;
  nextGroupUid: number;
}

/** The state the probe's MMU step creates (`panthor_mmu_init`): pools reserved, no file open, no firmware yet. */
export function createDriverState(dev: DeviceCtx<"probed"> | DeviceCtx<"registered">, model: GpuModel, ram: PhysicalMemory, opts: DriverStateOptions = {}): DriverState {
  const layout = driverMemoryLayout(model.memory.system_ram_bytes, opts);
  const fences = new FenceRegistry();
  return {
    dev,
    model,
    vaBits: mmuVaBits(dev.info.mmu_features),
    uapiMinor: opts.uapiMinor ?? 5,
    ram,
    layout,
    ptMem: new PageTableMemory(layout),
    kernelPages: new KernelPagePool(layout.carveOutBytes),
    gem: initialState(layout.gemPool.size, { firstFrame: layout.gemPool.start / 4096 }),
    labels: new Map(),
    exclusiveOwner: new Map(),
    swap: new Map(),
    files: new Map(),
    nextFile: 1,
    nextVmUid: 1,
    asSlots: new Map(),
    asLru: [],
    faultyMask: 0,
    fences,
    syncobjs: new SyncobjStore(fences),
    mmLock: new KMutex("mmu"),
    mcuVm: undefined,
    fw: undefined,
    sched: undefined,
    fence: undefined,
    nextGroupUid: 1,
  };
}

/** The open file `id`, or undefined (closed, closing, or never opened: the fd is bad). */
export function openFile(d: DriverState, id: number): DrmFileState | undefined {
  const f = d.files.get(id);
  return f?.status === "open" ? f : undefined;
}
