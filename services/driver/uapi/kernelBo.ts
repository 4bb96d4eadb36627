/**
 * Kernel BOs (`struct panthor_kernel_bo`, `panthor_kernel_bo_create` / `_destroy` in
 * panthor_gem.c; panthor.md §7.1): memory the driver allocates for itself — firmware sections,
 * queue ring buffers and their user I/O pages, group sync objects, suspend buffers, tiler heap
 * contexts and chunks — each mapped into one VM at a kernel VA (fixed, or the lowest free range of
 * the VM's kernel section, `drm_mm_insert_node_in_range`), never reachable by user space. The CPU
 * reads them from the RAM replica and writes them with `MemoryWritten` (agent `cpu`), the
 * kernel's `vmap` of the BO.
 *
 * Simplified: kernel BOs are not GEM shmem objects here but pinned pages from the driver's
 * carve-out ({@link KernelPagePool}), so they neither count against the GEM limit nor meet the
 * shrinker; their mapping still goes through the VM's drm_gpuvm tree (object ids from
 * {@link KERNEL_OBJ_BASE} up), so page tables and tree stay in agreement.
 */
import { ERRNO } from "../../../shared/gpu/errno.ts";
import { PAGE_SIZE, PhysicalMemory } from "../../../shared/gpu/physicalMemory.ts";
import { DRM_PANTHOR_VM_BIND_OP } from "../../gpuvm/index.ts";
import { MemoryWritten } from "../../memory/memoryEvents.ts";
import { memoryPaths } from "../../memory/memoryReplica.ts";
import { encodeWrite } from "../../memory/memoryWrites.ts";
import { emit, type KTask } from "../ktask.ts";
import type { DriverState, PanthorVm } from "./driverState.ts";
import { vmExecOp } from "./vmExec.ts";
/** First object id of kernel BOs in drm_gpuvm trees (GEM objects are numbered from 1, far below). */
export const KERNEL_OBJ_BASE = 2 ** 40;

/** Whether a drm_gpuvm object id names a kernel BO. */
export function isKernelObj(obj: number): boolean {
  return obj >= KERNEL_OBJ_BASE;
}

/** Frames at the bottom of the carve-out kept for the boot loader and the rest of the kernel. */
const RESERVED_FRAMES = 256;

/**
 * The driver's own pages (`alloc_pages` for kernel BOs): a lowest-free-first frame allocator over
 * the carve-out at the bottom of RAM (`driverMemory.ts`), above its first MiB.
 */
export class KernelPagePool {
  private readonly alloc: PhysicalMemory;
  private readonly objs = new Map<number, readonly number[]>();
  private nextObj = KERNEL_OBJ_BASE;

  /** @param bytes the carve-out's size (it starts at PA 0). */
  constructor(bytes: number) {
    this.alloc = new PhysicalMemory(bytes);
    this.alloc.allocFrames(Math.min(RESERVED_FRAMES, this.alloc.totalFrames - 1));
  }

  /** `pages` frames for a new kernel object: its id and frames, or undefined when the pool is empty. */
  take(pages: number): { obj: number; frames: readonly number[] } | undefined {
    if (pages > this.alloc.freeFrameCount) return undefined;
    const frames = this.alloc.allocFrames(pages);
    const obj = this.nextObj++;
    this.objs.set(obj, frames);
    return { obj, frames };
  }

  /** Give an object's frames back. */
  give(obj: number): void {
    const frames = this.objs.get(obj);
    if (frames === undefined) return;
    this.objs.delete(obj);
    this.alloc.freeFrames(frames);
  }

  /** The frames of a kernel object (drm_gpuvm's `pagesOf` for kernel BOs). */
  framesOf(obj: number): readonly number[] | undefined {
    return this.objs.get(obj);
  }

  /** Every live kernel object and its frames (for snapshots). */
  entries(): [number, readonly number[]][] {
    return [...this.objs];
  }

  /** Frames still free. */
  get freeFrameCount(): number {
    return this.alloc.freeFrameCount;
  }
}

/** The VM mapping flags of a kernel BO (`DRM_PANTHOR_VM_BIND_OP_MAP_*`). */
export const KBO_MAP = {
  READONLY: DRM_PANTHOR_VM_BIND_OP.MAP_READONLY,
  NOEXEC: DRM_PANTHOR_VM_BIND_OP.MAP_NOEXEC,
  UNCACHED: DRM_PANTHOR_VM_BIND_OP.MAP_UNCACHED,
} as const;

/** The kernel VA section of a VM: where auto-placed kernel BOs go, and what is in use. */
export interface KernelVaSpace {
  readonly start: number;
  readonly end: number;
  /** Allocated ranges, ascending. */
  readonly used: { va: number; size: number }[];
}

/** `struct panthor_kernel_bo`: the object, its VM and VA, and its backing frames. */
export interface KernelBo {
  readonly obj: number;
  readonly vm: PanthorVm;
  readonly va: number;
  readonly size: number;
  /** Physical frame numbers, one per page (pinned while mapped). */
  readonly frames: readonly number[];
  /** Whether the VM's {@link KernelVaSpace} records the VA and must get it back. */
  readonly tracked: boolean;
}

/** Options of {@link kernelBoCreate}. */
export interface KernelBoOptions {
  /** A fixed VA (firmware sections); default: the lowest free range of the VM's kernel section. */
  readonly va?: number;
  /** `KBO_MAP` bits; default NOEXEC. */
  readonly mapFlags?: number;
  /** Alignment of an auto-placed VA; default one page. */
  readonly align?: number;
}

/** `drm_mm_insert_node_in_range`, first fit: the lowest aligned free VA of `size` bytes, or undefined. */
export function allocKernelVa(space: KernelVaSpace, size: number, align = PAGE_SIZE): number | undefined {
  let at = Math.ceil(space.start / align) * align;
  for (const u of space.used) {
    if (at + size <= u.va) break;
    at = Math.max(at, Math.ceil((u.va + u.size) / align) * align);
  }
  if (at + size > space.end) return undefined;
  const i = space.used.findIndex((u) => u.va > at);
  space.used.splice(i < 0 ? space.used.length : i, 0, { va: at, size });
  return at;
}

/** Record a fixed range that lies in the kernel section (a firmware section placed there); true if recorded. */
export function reserveKernelVa(space: KernelVaSpace, va: number, size: number): boolean {
  if (va + size <= space.start || va >= space.end) return false;
  const i = space.used.findIndex((u) => u.va > va);
  space.used.splice(i < 0 ? space.used.length : i, 0, { va, size });
  return true;
}

/** Give a recorded range back. */
export function freeKernelVa(space: KernelVaSpace, va: number): void {
  const i = space.used.findIndex((u) => u.va === va);
  if (i >= 0) space.used.splice(i, 1);
}

/**
 * `panthor_kernel_bo_create(ptdev, vm, size, bo_flags, vm_map_flags, gpu_va)`: zeroed pinned
 * pages, a kernel VA, the mapping (tables written). Returns the BO or a negative errno
 * (-ENOMEM: no VA or no pages; -EINVAL: the VM refuses the mapping).
 */
export function* kernelBoCreate(d: DriverState, vm: PanthorVm, size: number, opts: KernelBoOptions = {}): KTask<KernelBo | number> {
  const bytes = Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;
  const va = opts.va ?? allocKernelVa(vm.kernelVa, bytes, opts.align);
  if (va === undefined) return -ERRNO.ENOMEM;
  const tracked = opts.va === undefined || reserveKernelVa(vm.kernelVa, va, bytes);
  const pages = d.kernelPages.take(bytes / PAGE_SIZE);
  if (pages === undefined) {
    if (tracked) freeKernelVa(vm.kernelVa, va);
    return -ERRNO.ENOMEM;
  }
  const { obj, frames } = pages;
  // __GFP_ZERO: a recycled frame is cleared by the CPU (one whole-page store; fresh RAM is zero already).
  for (const f of frames) {
    if (d.ram.read(f * PAGE_SIZE, PAGE_SIZE).some((b) => b !== 0)) {
      yield* emit(MemoryWritten, memoryPaths(d.dev.gpu).write, encodeWrite("cpu", f * PAGE_SIZE, new Uint8Array(PAGE_SIZE)));
    }
  }
  const flags = opts.mapFlags ?? KBO_MAP.NOEXEC;
  const ret = yield* vmExecOp(d, vm, { type: "map", bo: { obj, size: bytes }, req: { addr: va, range: bytes, obj, offset: 0, flags } });
  if (ret !== 0) {
    d.kernelPages.give(obj);
    if (tracked) freeKernelVa(vm.kernelVa, va);
    return ret;
  }
  return { obj, vm, va, size: bytes, frames, tracked };
}

/** `panthor_kernel_bo_destroy`: unmap (unless the VM is already gone), give the VA and the pages back. */
export function* kernelBoDestroy(d: DriverState, bo: KernelBo): KTask<void> {
  if (bo.vm.status !== "destroyed") yield* vmExecOp(d, bo.vm, { type: "unmap", addr: bo.va, range: bo.size });
  if (bo.tracked) freeKernelVa(bo.vm.kernelVa, bo.va);
  d.kernelPages.give(bo.obj);
}

/** The physical address of byte `offset` of the BO. */
export function kernelBoPa(bo: KernelBo, offset: number): number {
  return bo.frames[Math.floor(offset / PAGE_SIZE)]! * PAGE_SIZE + (offset % PAGE_SIZE);
}

/** Whether a GPU VA lies inside the BO. */
export function kernelBoHas(bo: KernelBo, va: number): boolean {
  return va >= bo.va && va < bo.va + bo.size;
}

/** A CPU store into the BO through its kernel mapping: one `MemoryWritten` per physically contiguous run. */
export function* kernelBoWrite(d: DriverState, bo: KernelBo, offset: number, bytes: Uint8Array): KTask<void> {
  for (let done = 0; done < bytes.length; ) {
    const off = offset + done;
    let n = Math.min(bytes.length - done, PAGE_SIZE - (off % PAGE_SIZE));
    const pa = kernelBoPa(bo, off);
    while (done + n < bytes.length && kernelBoPa(bo, off + n) === pa + n) n += Math.min(bytes.length - done - n, PAGE_SIZE);
    yield* emit(MemoryWritten, memoryPaths(d.dev.gpu).write, encodeWrite("cpu", pa, bytes.subarray(done, done + n)));
    done += n;
  }
}

/** A CPU load from the BO (the RAM replica, as the GPU and MCU left it). */
export function kernelBoRead(d: DriverState, bo: KernelBo, offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let done = 0; done < length; ) {
    const off = offset + done;
    const n = Math.min(length - done, PAGE_SIZE - (off % PAGE_SIZE));
    out.set(d.ram.read(kernelBoPa(bo, off), n), done);
    done += n;
  }
  return out;
}
