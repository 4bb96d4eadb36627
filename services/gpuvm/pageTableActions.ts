/**
 * What the page table must do for a list of drm_gpuvm ops, as panthor's step callbacks decide it
 * (`panthor_gpuva_sm_step_map/remap/unmap`, `panthor_vm_map_pages`, `flags_to_prot` in
 * `panthor_mmu.c`):
 * - MAP: map the VA range to the BO's pages starting at the op's offset, one action per physically
 *   contiguous run (as one scatterlist segment each), with the VMA's protection;
 * - REMAP: unmap only the part between `prev` and `next` (`drm_gpuva_op_remap_to_unmap_range`);
 *   the kept pieces' PTEs are left alone;
 * - UNMAP: unmap the whole VA.
 * `keep` is ignored, as panthor ignores it. The driver runs the actions in order through
 * `services/mmu` (`map`/`unmap`, which choose 4 KiB pages or 2 MiB blocks) inside the
 * lock-region/flush sequence.
 *
 * Simplified: a MAP without an object (sparse; panthor's newest MAP_SPARSE dummy page) maps nothing.
 */
import { PAGE_SIZE } from "../../shared/gpu/physicalMemory.ts";
import { IOMMU_PROT } from "../mmu/pteFormat.ts";
import { GpuVmStateError } from "./gpuvm.ts";
import { remapUnmapRange, type GpuVaOp, type OpMap } from "./ops.ts";
import { DRM_PANTHOR_VM_BIND_OP } from "./vmBind.ts";

/** Map `size` bytes at GPU `va` to physical `pa` with IOMMU protection bits `prot`. */
export interface PtMapAction {
  readonly type: "map";
  readonly va: number;
  readonly pa: number;
  readonly size: number;
  readonly prot: number;
}

/** Unmap `size` bytes at GPU `va`. */
export interface PtUnmapAction {
  readonly type: "unmap";
  readonly va: number;
  readonly size: number;
}

/** One page-table action. */
export type PtAction = PtMapAction | PtUnmapAction;

/**
 * `flags_to_prot`: NOEXEC → `IOMMU_NOEXEC`; cached unless UNCACHED (`IOMMU_CACHE`); READONLY →
 * `IOMMU_READ`, else `IOMMU_READ | IOMMU_WRITE`.
 */
export function flagsToProt(flags: number): number {
  let prot = 0;
  if ((flags & DRM_PANTHOR_VM_BIND_OP.MAP_NOEXEC) !== 0) prot |= IOMMU_PROT.NOEXEC;
  if ((flags & DRM_PANTHOR_VM_BIND_OP.MAP_UNCACHED) === 0) prot |= IOMMU_PROT.CACHE;
  prot |= IOMMU_PROT.READ;
  if ((flags & DRM_PANTHOR_VM_BIND_OP.MAP_READONLY) === 0) prot |= IOMMU_PROT.WRITE;
  return prot;
}

/** Page frames backing an object (frame n is physical address `n * PAGE_SIZE`), or undefined if it has none. */
export type PagesOf = (obj: number) => readonly number[] | undefined;

function mapActions(map: OpMap, pagesOf: PagesOf): PtMapAction[] {
  if (map.obj === null) return [];
  const frames = pagesOf(map.obj);
  const first = map.offset / PAGE_SIZE;
  const count = map.range / PAGE_SIZE;
  if (!Number.isInteger(first) || !Number.isInteger(count)) {
    throw new GpuVmStateError("page-table", "map", `offset 0x${map.offset.toString(16)} or range 0x${map.range.toString(16)} is not page aligned`);
  }
  if (frames === undefined || frames.length < first + count) {
    throw new GpuVmStateError("page-table", "map", `object ${map.obj} has no pages for [0x${map.offset.toString(16)}, +0x${map.range.toString(16)}) (not pinned?)`);
  }
  const prot = flagsToProt(map.flags);
  const out: PtMapAction[] = [];
  let runStart = 0;
  for (let i = 1; i <= count; i++) {
    if (i < count && frames[first + i] === frames[first + i - 1]! + 1) continue;
    out.push({ type: "map", va: map.addr + runStart * PAGE_SIZE, pa: frames[first + runStart]! * PAGE_SIZE, size: (i - runStart) * PAGE_SIZE, prot });
    runStart = i;
  }
  return out;
}

/**
 * The page-table actions for `ops`, in op order. `pagesOf` gives each object's frames (GEM's page
 * list, present because panthor pins a BO before mapping it); missing pages throw
 * {@link GpuVmStateError}.
 *
 * @example pageTableActions(ops, (obj) => gem.objects.get(obj)?.pages)
 */
export function pageTableActions(ops: readonly GpuVaOp[], pagesOf: PagesOf): PtAction[] {
  const out: PtAction[] = [];
  for (const op of ops) {
    if (op.type === "map") out.push(...mapActions(op.map, pagesOf));
    else if (op.type === "unmap") out.push({ type: "unmap", va: op.va.addr, size: op.va.range });
    else if (op.type === "remap") {
      const r = remapUnmapRange(op);
      out.push({ type: "unmap", va: r.addr, size: r.range });
    }
  }
  return out;
}
