/**
 * State of the GEM shmem objects of one device and its fold over events (`evolve`), the state half
 * of the decider in `gemDecide.ts`. Models `drm_gem_object` + `drm_gem_shmem_object` as panthor
 * uses them (panthor.md §1.7, §7.1): per-file handle tables (`file->object_idr`), object
 * references from handles, GPU mappings (panthor vm_bos) and in-flight jobs, page pins, lazily
 * allocated pages, a fake mmap offset, madvise state and an LRU stamp for the shrinker.
 */
import { PAGE_SIZE } from "../../shared/gpu/physicalMemory.ts";
import { createFramePool, releaseFrames, takeExtents, takeFrames, type FramePool } from "./framePool.ts";
import type { GemEvent, Madv, VmRef } from "./gemEvents.ts";

/** `DRM_PANTHOR_BO_*` creation flags (uapi `panthor_drm.h`). */
export const DRM_PANTHOR_BO = { NO_MMAP: 1 << 0, WB_MMAP: 1 << 1 } as const;

/** `DRM_FILE_PAGE_OFFSET_START` on 64-bit, in bytes: fake mmap offsets start above 4 GiB. */
export const DRM_FILE_PAGE_OFFSET_START = 2 ** 32;

/** One GEM shmem object. */
export interface GemObject {
  readonly obj: number;
  /** Size in bytes, a multiple of {@link PAGE_SIZE}. */
  readonly size: number;
  readonly flags: number;
  readonly exclusiveVm?: VmRef;
  /** Open handles across all files. */
  readonly handles: number;
  /** `pages_pin_count` from explicit pins (kernel BOs, vmap). */
  readonly pinCount: number;
  /** GPU VMs mapping the object (panthor vm_bos); each holds a reference and a pin. */
  readonly gpuMappings: number;
  /** In-flight jobs holding a reference. */
  readonly jobRefs: number;
  /** Backing frames, one per page, when resident. */
  readonly pages?: readonly number[];
  /** Contents live in swap (the shell keeps them) until pages are allocated again. */
  readonly swapped: boolean;
  readonly madv: Madv;
  readonly mmapOffset?: number;
  /** Last-use stamp: the shrinker scans from the smallest (`drm_gem_lru` head). */
  readonly lru: number;
}

/** All GEM state of a device. */
export interface GemState {
  readonly limitBytes: number;
  /** Bytes memory pressure took that are still in the pool (busy objects hold them); repaid as frames free up. */
  readonly owedBytes: number;
  readonly pool: FramePool;
  /** Whether idle WILLNEED objects may be swapped out (msm's `can_swap()`). */
  readonly swapEnabled: boolean;
  readonly objects: ReadonlyMap<number, GemObject>;
  /** Per DRM file: handle → object. */
  readonly files: ReadonlyMap<number, ReadonlyMap<number, number>>;
  readonly nextObj: number;
  readonly nextMmapOffset: number;
  /** Counter behind {@link GemObject.lru}. */
  readonly clock: number;
}

/** Options of {@link initialState}. */
export interface GemInit {
  /** First physical frame of the GEM pool (the driver reserves the span in `PhysicalMemory`). Default 0. */
  readonly firstFrame?: number;
  /** Default true. */
  readonly swapEnabled?: boolean;
}

/**
 * No objects, no handles, and `limitBytes` (rounded down to pages) of frames for shmem pages
 * starting at `firstFrame`.
 *
 * @example initialState(256 * 1024 * 1024, { firstFrame: 0x10000 })
 */
export function initialState(limitBytes: number, init: GemInit = {}): GemState {
  return {
    limitBytes,
    owedBytes: 0,
    pool: createFramePool(init.firstFrame ?? 0, Math.floor(limitBytes / PAGE_SIZE)),
    swapEnabled: init.swapEnabled ?? true,
    objects: new Map(),
    files: new Map(),
    nextObj: 1,
    nextMmapOffset: DRM_FILE_PAGE_OFFSET_START,
    clock: 0,
  };
}

/** Total references: the object is freed when this reaches zero. */
export function refCount(o: GemObject): number {
  return o.handles + o.pinCount + o.gpuMappings + o.jobRefs;
}

/** `drm_gem_object_lookup` in one file: the object a handle names there, or undefined. */
export function lookupHandle(state: GemState, file: number, handle: number): GemObject | undefined {
  const obj = state.files.get(file)?.get(handle);
  return obj === undefined ? undefined : state.objects.get(obj);
}

/** The frames backing an object (for page-table writes), or undefined when not resident. */
export function pagesOf(state: GemState, obj: number): readonly number[] | undefined {
  return state.objects.get(obj)?.pages;
}

/** Bytes of shmem pages currently allocated. */
export function residentBytes(state: GemState): number {
  let n = 0;
  for (const o of state.objects.values()) n += (o.pages?.length ?? 0) * PAGE_SIZE;
  return n;
}

function touch(state: GemState, obj: number, change: (o: GemObject) => Partial<GemObject>): GemState {
  const o = state.objects.get(obj);
  if (o === undefined) throw new RangeError(`GEM event for unknown object ${obj}`);
  const objects = new Map(state.objects);
  objects.set(obj, { ...o, ...change(o), lru: state.clock + 1 });
  return { ...state, objects, clock: state.clock + 1 };
}

function setHandle(state: GemState, file: number, handle: number, obj: number | undefined): GemState {
  const table = new Map(state.files.get(file) ?? []);
  if (obj === undefined) table.delete(handle);
  else table.set(handle, obj);
  const files = new Map(state.files);
  if (table.size === 0) files.delete(file);
  else files.set(file, table);
  return { ...state, files };
}

/** Fold one event into the state (the decider's `evolve`): total, deterministic, no validation beyond consistency. */
export function evolve(state: GemState, event: GemEvent): GemState {
  switch (event.type) {
    case "GemObjectCreated": {
      const p = event.payload;
      const o: GemObject = {
        obj: p.obj, size: p.size, flags: p.flags, ...(p.exclusiveVm && { exclusiveVm: p.exclusiveVm }),
        handles: 1, pinCount: 0, gpuMappings: 0, jobRefs: 0, swapped: false, madv: "willneed", lru: state.clock + 1,
      };
      const objects = new Map(state.objects);
      objects.set(p.obj, o);
      return setHandle({ ...state, objects, nextObj: Math.max(state.nextObj, p.obj + 1), clock: state.clock + 1 }, p.file, p.handle, p.obj);
    }
    case "GemHandleClosed":
      return touch(setHandle(state, event.payload.file, event.payload.handle, undefined), event.payload.obj, (o) => ({ handles: o.handles - 1 }));
    case "GemMmapOffsetAssigned": {
      const { obj, offset } = event.payload;
      const size = state.objects.get(obj)?.size ?? 0;
      return { ...touch(state, obj, () => ({ mmapOffset: offset })), nextMmapOffset: Math.max(state.nextMmapOffset, offset + size) };
    }
    case "GemPagesAllocated": {
      const { obj, frames } = event.payload;
      return touch({ ...state, pool: takeFrames(state.pool, frames) }, obj, () => ({ pages: frames, swapped: false }));
    }
    case "GemPinned":
      return touch(state, event.payload.obj, (o) => ({ pinCount: o.pinCount + 1 }));
    case "GemUnpinned":
      return touch(state, event.payload.obj, (o) => ({ pinCount: o.pinCount - 1 }));
    case "GemGpuMapped":
      return touch(state, event.payload.obj, (o) => ({ gpuMappings: o.gpuMappings + 1 }));
    case "GemGpuUnmapped":
      return touch(state, event.payload.obj, (o) => ({ gpuMappings: o.gpuMappings - 1 }));
    case "GemJobRefTaken":
      return touch(state, event.payload.obj, (o) => ({ jobRefs: o.jobRefs + 1 }));
    case "GemJobRefDropped":
      return touch(state, event.payload.obj, (o) => ({ jobRefs: o.jobRefs - 1 }));
    case "GemMadvised":
      return touch(state, event.payload.obj, () => ({ madv: event.payload.madv }));
    case "GemPurged":
      return touch({ ...state, pool: releaseFrames(state.pool, event.payload.frames) }, event.payload.obj, () => ({ pages: undefined, madv: "purged" }));
    case "GemSwappedOut":
      return touch({ ...state, pool: releaseFrames(state.pool, event.payload.frames) }, event.payload.obj, () => ({ pages: undefined, swapped: true }));
    case "GemLimitLowered": {
      const p = event.payload;
      return { ...state, pool: takeExtents(state.pool, p.taken), limitBytes: p.limitBytes, owedBytes: p.owedBytes };
    }
    case "GemObjectFreed": {
      const objects = new Map(state.objects);
      objects.delete(event.payload.obj);
      return { ...state, objects, pool: releaseFrames(state.pool, event.payload.frames) };
    }
  }
}
