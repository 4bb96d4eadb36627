/**
 * The GEM shmem decider: `decide(command, state)` returns the events a command causes, or the
 * errno the kernel would return; `evolve` (in `gemState.ts`) folds them. Mirrors
 * `panthor_ioctl_bo_create` / `panthor_gem_create_with_handle`, `drm_gem_handle_create`
 * (lowest free handle from 1, `idr_alloc`), `drm_gem_handle_delete` (GEM_CLOSE),
 * `panthor_ioctl_bo_mmap_offset` / `drm_gem_create_mmap_offset`, `drm_gem_shmem_pin/unpin`,
 * `drm_gem_shmem_get_pages` and `drm_gem_object_put` (freed at the last reference).
 *
 * Pages are allocated lazily, as shmem does: on the first pin or GPU mapping, never at creation.
 * If the pool (the system-memory limit) is short, the shrinker runs first and its events come
 * before `GemPagesAllocated`; if it cannot free enough the command fails with -ENOMEM and nothing
 * happens. Frames are picked lowest-free-first from the pool, so the events carry real physical
 * frame numbers for the page tables.
 *
 * Simplified: no PRIME export/import or flink (one handle per object), no `vmap`, no labels, no
 * BO_SYNC; pad fields and `exclusive_vm_id` existence are checked by the ioctl layer.
 */
import type { ErrnoName } from "../../shared/gpu/errno.ts";
import { PAGE_SIZE } from "../../shared/gpu/physicalMemory.ts";
import { freeFrameCount, highestFreeExtents, lowestFreeFrames } from "./framePool.ts";
import type { GemCommand, GemEvent } from "./gemEvents.ts";
import { shrink } from "./gemShrinker.ts";
import { DRM_PANTHOR_BO, evolve, lookupHandle, refCount, type GemObject, type GemState } from "./gemState.ts";

/** A refused command: the errno and why, for logs and test messages. */
export interface GemError {
  readonly errno: ErrnoName;
  readonly reason: string;
}

const fail = (errno: ErrnoName, reason: string): GemError => ({ errno, reason });

/** True when `decide` refused the command. */
export function isGemError(r: readonly GemEvent[] | GemError): r is GemError {
  return !Array.isArray(r);
}

/** `drm_gem_handle_create_tail`: `idr_alloc(…, 1, 0)` gives the lowest free handle from 1. */
function lowestFreeHandle(state: GemState, file: number): number {
  const used = state.files.get(file);
  let h = 1;
  while (used?.has(h)) h++;
  return h;
}

/** The object after these events: free it if nothing refers to it any more. */
function freeIfUnreferenced(o: GemObject, events: GemEvent[]): GemEvent[] {
  return refCount(o) === 0 ? [...events, { type: "GemObjectFreed", payload: { obj: o.obj, frames: [...(o.pages ?? [])] } }] : events;
}

/** Frames the pool still owes to memory pressure (they are not the allocator's to hand out). */
function owedPages(state: GemState): number {
  return Math.ceil(state.owedBytes / PAGE_SIZE);
}

/**
 * `drm_gem_shmem_get_pages` (with msm's WILLNEED rule): nothing if resident; else reclaim if short
 * (unless `noReclaim`, the GFP_NOWAIT of a fence-signalling path) and allocate. Frames owed to
 * memory pressure are not available.
 */
function ensurePages(state: GemState, o: GemObject, noReclaim = false): GemEvent[] | GemError {
  if (o.madv !== "willneed") return fail("EBUSY", `object ${o.obj} is ${o.madv}; only WILLNEED objects may be pinned or mapped`);
  if (o.pages !== undefined) return [];
  const need = o.size / PAGE_SIZE;
  const events: GemEvent[] = [];
  let s = state;
  const available = (st: GemState) => freeFrameCount(st.pool) - owedPages(st);
  if (available(s) < need && !noReclaim) {
    events.push(...shrink(s, (need - available(s)) * PAGE_SIZE, o.obj));
    s = events.reduce(evolve, s);
  }
  const frames = available(s) >= need ? lowestFreeFrames(s.pool, need) : undefined;
  if (frames === undefined) return fail("ENOMEM", `object ${o.obj} needs ${need} pages, ${Math.max(0, available(s))} free${noReclaim ? " (no reclaim)" : " after reclaim"}`);
  return [...events, { type: "GemPagesAllocated", payload: { obj: o.obj, frames, restore: o.swapped } }];
}

/**
 * Give `owedBytes` back to the system under `limitBytes` (`lowerLimit`, `repay`): free frames
 * first (the highest), then the shrinker's idle objects; what is still missing stays owed.
 */
function surrender(state: GemState, owedBytes: number, limitBytes: number): GemEvent[] {
  const needPages = Math.ceil(owedBytes / PAGE_SIZE);
  const events: GemEvent[] = [];
  let s = state;
  if (freeFrameCount(s.pool) < needPages) {
    events.push(...shrink(s, (needPages - freeFrameCount(s.pool)) * PAGE_SIZE));
    s = events.reduce(evolve, s);
  }
  const n = Math.min(needPages, freeFrameCount(s.pool));
  const reclaimedBytes = freeFrameCount(s.pool) * PAGE_SIZE - freeFrameCount(state.pool) * PAGE_SIZE;
  if (n === 0 && limitBytes === state.limitBytes && needPages * PAGE_SIZE === state.owedBytes) return events;
  const taken = highestFreeExtents(s.pool, n)!;
  return [...events, { type: "GemLimitLowered", payload: { limitBytes, taken, owedBytes: (needPages - n) * PAGE_SIZE, reclaimedBytes } }];
}

function create(state: GemState, cmd: Extract<GemCommand, { type: "create" }>): GemEvent[] | GemError {
  const { file, size, flags, exclusiveVm } = cmd;
  if (!Number.isSafeInteger(size) || size <= 0) return fail("EINVAL", `BO_CREATE size ${size} must be a positive integer`);
  if (!Number.isInteger(flags) || flags < 0 || (flags & ~(DRM_PANTHOR_BO.NO_MMAP | DRM_PANTHOR_BO.WB_MMAP)) !== 0) {
    return fail("EINVAL", `BO_CREATE flags 0x${flags.toString(16)} has unknown bits`);
  }
  if (flags === (DRM_PANTHOR_BO.NO_MMAP | DRM_PANTHOR_BO.WB_MMAP)) return fail("EINVAL", "BO_CREATE: NO_MMAP and WB_MMAP are exclusive");
  const payload = {
    obj: state.nextObj, file, handle: lowestFreeHandle(state, file), size: Math.ceil(size / PAGE_SIZE) * PAGE_SIZE, flags,
    ...(exclusiveVm && { exclusiveVm }),
  };
  return [{ type: "GemObjectCreated", payload }];
}

function closeHandle(state: GemState, file: number, handle: number): GemEvent[] {
  const o = lookupHandle(state, file, handle)!;
  return freeIfUnreferenced({ ...o, handles: o.handles - 1 }, [{ type: "GemHandleClosed", payload: { obj: o.obj, file, handle } }]);
}

/** Decide on a command that names an object (`obj`), from the driver. */
function decideOnObject(state: GemState, cmd: Extract<GemCommand, { obj: number }>): GemEvent[] | GemError {
  const o = state.objects.get(cmd.obj);
  if (o === undefined) return fail("ENOENT", `no GEM object ${cmd.obj}`);
  const obj = o.obj;
  const populated = (type: "GemPinned" | "GemGpuMapped"): GemEvent[] | GemError => {
    const pages = ensurePages(state, o, "noReclaim" in cmd && cmd.noReclaim === true);
    return Array.isArray(pages) ? [...pages, { type, payload: { obj } }] : pages;
  };
  const drop = (count: number, what: string, type: "GemUnpinned" | "GemGpuUnmapped" | "GemJobRefDropped", after: Partial<GemObject>) =>
    count === 0 ? fail("EINVAL", `object ${obj} has no ${what} to drop`) : freeIfUnreferenced({ ...o, ...after }, [{ type, payload: { obj } }]);
  switch (cmd.type) {
    case "pin":
      return populated("GemPinned");
    case "mapOnGpu":
      return populated("GemGpuMapped");
    case "unpin":
      return drop(o.pinCount, "pin", "GemUnpinned", { pinCount: o.pinCount - 1 });
    case "unmapFromGpu":
      return drop(o.gpuMappings, "GPU mapping", "GemGpuUnmapped", { gpuMappings: o.gpuMappings - 1 });
    case "jobGet":
      return [{ type: "GemJobRefTaken", payload: { obj } }];
    case "jobPut":
      return drop(o.jobRefs, "job reference", "GemJobRefDropped", { jobRefs: o.jobRefs - 1 });
    case "madvise":
      return o.madv === "purged" || o.madv === cmd.madv ? [] : [{ type: "GemMadvised", payload: { obj, madv: cmd.madv } }];
  }
}

/**
 * The decider. Errors: BO_CREATE size 0 or bad flags → EINVAL; GEM_CLOSE of a handle the file
 * does not have → EINVAL (`drm_gem_handle_delete`); BO_MMAP_OFFSET of an unknown handle → ENOENT,
 * of a NO_MMAP BO → EPERM; pages for a non-WILLNEED object → EBUSY (msm's rule); pool exhausted
 * after reclaim → ENOMEM (at once with `noReclaim`); a `lowerLimit` that is not a positive byte
 * count → EINVAL; dropping a pin, mapping or job reference that is not held → EINVAL;
 * an unknown object id → ENOENT.
 *
 * @example decide({ type: "create", file: 1, size: 5000, flags: 0 }, initialState(1 << 20)) // [GemObjectCreated{ size: 8192, handle: 1 }]
 */
export function decide(command: GemCommand, state: GemState): GemEvent[] | GemError {
  switch (command.type) {
    case "create":
      return create(state, command);
    case "close":
      if (lookupHandle(state, command.file, command.handle) === undefined) return fail("EINVAL", `file ${command.file} has no handle ${command.handle}`);
      return closeHandle(state, command.file, command.handle);
    case "closeFile": {
      const handles = [...(state.files.get(command.file)?.keys() ?? [])].sort((a, b) => a - b);
      let s = state;
      const out: GemEvent[] = [];
      for (const h of handles) {
        const events = closeHandle(s, command.file, h);
        out.push(...events);
        s = events.reduce(evolve, s);
      }
      return out;
    }
    case "mmapOffset": {
      const o = lookupHandle(state, command.file, command.handle);
      if (o === undefined) return fail("ENOENT", `file ${command.file} has no handle ${command.handle}`);
      if ((o.flags & DRM_PANTHOR_BO.NO_MMAP) !== 0) return fail("EPERM", `object ${o.obj} was created NO_MMAP`);
      return o.mmapOffset !== undefined ? [] : [{ type: "GemMmapOffsetAssigned", payload: { obj: o.obj, offset: state.nextMmapOffset } }];
    }
    case "shrink":
      return shrink(state, command.targetBytes);
    case "lowerLimit": {
      if (!Number.isSafeInteger(command.bytes) || command.bytes <= 0) return fail("EINVAL", `memory pressure of ${command.bytes} bytes`);
      const bytes = Math.ceil(command.bytes / PAGE_SIZE) * PAGE_SIZE;
      return surrender(state, state.owedBytes + bytes, Math.max(0, state.limitBytes - bytes));
    }
    case "repay":
      return state.owedBytes === 0 ? [] : surrender(state, state.owedBytes, state.limitBytes);
    default:
      return decideOnObject(state, command);
  }
}

/** The mmap offset BO_MMAP_OFFSET reports for a handle after its events were folded, or undefined. */
export function mmapOffsetOf(state: GemState, file: number, handle: number): number | undefined {
  return lookupHandle(state, file, handle)?.mmapOffset;
}
