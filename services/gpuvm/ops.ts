/**
 * The `drm_gpuva_op` family (`include/drm/drm_gpuvm.h`): what `sm_map`, `sm_unmap` and the other
 * op generators emit and `applyOps` consumes. Plain readonly data; the `unmap` side of an op carries
 * a snapshot of the VA it removes (the kernel carries a pointer).
 */
import type { ErrnoName } from "../../shared/gpu/errno.ts";
import type { GpuVa } from "./gpuvm.ts";

/** `drm_gpuva_op_map` (also the shape of a REMAP's `prev` and `next`). */
export interface OpMap {
  readonly addr: number;
  readonly range: number;
  readonly obj: number | null;
  readonly offset: number;
  /** Driver flags for the new VA: the request's for a MAP, the split VA's for prev/next (as panthor's `sm_step_remap`). */
  readonly flags: number;
}

/**
 * `drm_gpuva_op_unmap`. `keep` is true only when the old VA has a backing object that is the
 * request's, at a contiguous offset: its PTEs could be reused (`sm_unmap` never sets it).
 */
export interface OpUnmap {
  readonly va: GpuVa;
  readonly keep: boolean;
}

/** `DRM_GPUVA_OP_MAP`. */
export interface MapOp {
  readonly type: "map";
  readonly map: OpMap;
}

/** `DRM_GPUVA_OP_REMAP`: split `unmap.va`, keeping `prev` below and/or `next` above the cut. */
export interface RemapOp {
  readonly type: "remap";
  readonly prev?: OpMap;
  readonly next?: OpMap;
  readonly unmap: OpUnmap;
}

/** `DRM_GPUVA_OP_UNMAP`. */
export interface UnmapOp extends OpUnmap {
  readonly type: "unmap";
}

/** `DRM_GPUVA_OP_PREFETCH`. */
export interface PrefetchOp {
  readonly type: "prefetch";
  readonly va: GpuVa;
}

/** One `drm_gpuva_op`. */
export type GpuVaOp = MapOp | RemapOp | UnmapOp | PrefetchOp;

/** `drm_gpuvm_map_req`: map `[addr, addr + range)` to `obj` at `offset`. */
export interface SmMapRequest {
  readonly addr: number;
  readonly range: number;
  readonly obj: number | null;
  readonly offset: number;
  readonly flags?: number;
}

/** What an op-list generator returns: the ops, or the errno the kernel's `*_ops_create` would return. */
export type OpsResult = { readonly ok: true; readonly ops: GpuVaOp[] } | { readonly ok: false; readonly errno: ErrnoName };

/**
 * `drm_gpuva_op_remap_to_unmap_range`: the part of a REMAP's old VA that actually goes away
 * (between `prev` and `next`), which is what panthor unmaps from the page table.
 */
export function remapUnmapRange(op: RemapOp): { addr: number; range: number } {
  const va = op.unmap.va;
  const start = op.prev !== undefined ? op.prev.addr + op.prev.range : va.addr;
  const end = op.next !== undefined ? op.next.addr : va.addr + va.range;
  return { addr: start, range: end - start };
}
