/**
 * The drm_gpuvm VA space (`drivers/gpu/drm/drm_gpuvm.c`): a range `[mm_start, mm_start + mm_range)`
 * holding non-overlapping `drm_gpuva` mappings in address order, an optional kernel-reserved node
 * that no user range may touch, and the per-object `drm_gpuvm_bo` table (see `vmBo.ts`).
 *
 * The VM is an immutable value: every change returns a new {@link GpuVm}. The kernel keeps VAs in
 * an interval tree plus an ordered list; here one array sorted by address does both jobs (the
 * mappings never overlap, so "first VA ending after addr" is a binary search).
 *
 * Simplified: addresses are JS numbers and VA arithmetic is exact below 2^53 (panthor's VA is 48
 * bits); only {@link rangeValid} works in full u64 so overflow cases behave as in the kernel.
 * `drm_gpuva.flags` holds the driver's bits (panthor's READONLY/NOEXEC/UNCACHED), not gpuvm's own
 * INVALIDATED/SPARSE. No locking, no refcount on the VM itself, no `drm_gpuvm_resv` object.
 */

/** `drm_gpuva`: one mapping. `obj` is a GEM object id, or null for a VA with no backing object. */
export interface GpuVa {
  /** Stable identity inside one VM; 0 is the kernel-reserved node, user VAs count from 1. */
  readonly id: number;
  readonly addr: number;
  readonly range: number;
  readonly obj: number | null;
  /** Offset into `obj` (bytes or whatever unit the VM uses) of the first mapped unit. */
  readonly offset: number;
  /** Driver flags carried by the VA (`panthor_vma.flags`). */
  readonly flags: number;
}

/** `drm_gpuvm_bo`: the (VM, object) pair, its reference count and the VAs linked to it. */
export interface VmBo {
  readonly obj: number;
  readonly refcount: number;
  /** Linked VA ids in link order (`vm_bo->list.gpuva`). */
  readonly vas: readonly number[];
  readonly evicted: boolean;
}

/** `struct drm_gpuvm`, as plain data. */
export interface GpuVm {
  readonly name: string;
  /** `DRM_GPUVM_*` flags, e.g. {@link DRM_GPUVM_RESV_PROTECTED}. */
  readonly flags: number;
  readonly mmStart: number;
  readonly mmRange: number;
  /** `kernel_alloc_node`; `range === 0` means none. Also present in {@link GpuVm.vas} as id 0 when inserted. */
  readonly kernelNode: { readonly addr: number; readonly range: number };
  /** Every VA, kernel node included, sorted by address. */
  readonly vas: readonly GpuVa[];
  readonly nextVaId: number;
  readonly vmBos: ReadonlyMap<number, VmBo>;
  /** `gpuvm->extobj.list`: objects whose vm_bo is on the external-object list, in insertion order. */
  readonly extobjs: readonly number[];
  /** `gpuvm->evict.list`, in insertion order. */
  readonly evictList: readonly number[];
  /** Objects that share the VM's reservation object (panthor's exclusive-VM BOs): not external. */
  readonly sharedResvObjs: ReadonlySet<number>;
  /** `drm_WARN` splats `drm_gpuvm_init` would have printed. */
  readonly warnings: readonly string[];
}

/** `DRM_GPUVM_RESV_PROTECTED`: extobj/evict lists are protected by the VM resv, not spinlocks. */
export const DRM_GPUVM_RESV_PROTECTED = 1 << 0;
/** `DRM_GPUVM_USERBITS`: first VM flag bit a driver may use. */
export const DRM_GPUVM_USERBITS = 1 << 1;
/** `DRM_GPUVA_INVALIDATED`: the VA's backing object was evicted. */
export const DRM_GPUVA_INVALIDATED = 1 << 0;
/** `DRM_GPUVA_SPARSE`: a sparse VA. */
export const DRM_GPUVA_SPARSE = 1 << 1;
/** `DRM_GPUVA_USERBITS`: first VA flag bit a driver may use. */
export const DRM_GPUVA_USERBITS = 1 << 2;

/** A state the VM can never be in: applying ops that were not generated from this VM, a stale VA id. */
export class GpuVmStateError extends Error {
  override readonly name = "GpuVmStateError";
  constructor(readonly vmName: string, readonly operation: string, reason: string) {
    super(`${vmName}: ${operation}: ${reason}`);
  }
}

const U64_LIMIT = 1n << 64n;

/** The value as a u64, or undefined when it is not a non-negative integer below 2^64. */
function toU64(n: number): bigint | undefined {
  return Number.isInteger(n) && n >= 0 && n < 2 ** 64 ? BigInt(n) : undefined;
}

/** `drm_gpuvm_check_overflow`: does `addr + range` overflow u64? */
export function u64AddOverflows(addr: number, range: number): boolean {
  const a = toU64(addr);
  const r = toU64(range);
  return a === undefined || r === undefined || a + r >= U64_LIMIT;
}

/** Options of {@link createGpuVm}, the arguments of `drm_gpuvm_init`. */
export interface GpuVmInit {
  readonly name?: string;
  readonly flags?: number;
  readonly mmStart: number;
  readonly mmRange: number;
  readonly reserveOffset?: number;
  readonly reserveRange?: number;
}

/**
 * A new, empty VM, as `drm_gpuvm_init`. A non-zero reserve range inserts the kernel node
 * (`kernel_alloc_node`) unless it overflows u64, in which case the kernel WARNs and skips it;
 * `mm_start + mm_range` overflowing also only WARNs (GPUVM-V12). Panthor passes a zero reserve
 * ("we want kernel VMAs to be handled the same way user VMAs are").
 *
 * @example createGpuVm({ name: "panthor-GPU-VM", flags: DRM_GPUVM_RESV_PROTECTED, mmStart: 0, mmRange: 2 ** 48 })
 */
export function createGpuVm(init: GpuVmInit): GpuVm {
  const warnings: string[] = [];
  const reserveOffset = init.reserveOffset ?? 0;
  const reserveRange = init.reserveRange ?? 0;
  if (u64AddOverflows(init.mmStart, init.mmRange)) warnings.push("drm_gpuvm_init: mm_start + mm_range overflows u64");
  let kernelNode = { addr: reserveOffset, range: reserveRange };
  const vas: GpuVa[] = [];
  if (reserveRange !== 0) {
    if (u64AddOverflows(reserveOffset, reserveRange)) {
      warnings.push("drm_gpuvm_init: reserve_offset + reserve_range overflows u64; kernel node not inserted");
      kernelNode = { addr: 0, range: 0 };
    } else {
      vas.push({ id: 0, addr: reserveOffset, range: reserveRange, obj: null, offset: 0, flags: 0 });
    }
  }
  return {
    name: init.name ?? "gpuvm",
    flags: init.flags ?? 0,
    mmStart: init.mmStart,
    mmRange: init.mmRange,
    kernelNode,
    vas,
    nextVaId: 1,
    vmBos: new Map(),
    extobjs: [],
    evictList: [],
    sharedResvObjs: new Set(),
    warnings,
  };
}

/**
 * `drm_gpuvm_range_valid`: `addr + range` does not overflow u64, lies inside
 * `[mm_start, mm_start + mm_range)`, and does not intersect a non-empty kernel node (GPUVM-V01…V08).
 * Computed in u64 (wrapping like the kernel where `mm_start + mm_range` itself overflowed).
 * A negative or fractional argument is not a u64 and is invalid.
 */
export function rangeValid(vm: GpuVm, addr: number, range: number): boolean {
  const a = toU64(addr);
  const r = toU64(range);
  if (a === undefined || r === undefined || a + r >= U64_LIMIT) return false;
  const end = a + r;
  const mmStart = BigInt(vm.mmStart);
  const mmEnd = BigInt.asUintN(64, mmStart + BigInt(vm.mmRange));
  if (a < mmStart || end > mmEnd) return false;
  const kStart = BigInt(vm.kernelNode.addr);
  const kRange = BigInt(vm.kernelNode.range);
  const kEnd = BigInt.asUintN(64, kStart + kRange);
  return !(kRange !== 0n && a < kEnd && kStart < end);
}

/** Index of the first VA that ends after `addr` (every VA before it lies wholly below `addr`). */
function firstEndingAfter(vas: readonly GpuVa[], addr: number): number {
  let lo = 0;
  let hi = vas.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = vas[mid]!;
    if (v.addr + v.range > addr) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The VAs overlapping `[addr, end)` in ascending address order, as `drm_gpuvm_for_each_va_range`.
 * An empty range overlaps nothing.
 */
export function vasInRange(vm: GpuVm, addr: number, end: number): GpuVa[] {
  const out: GpuVa[] = [];
  for (let i = firstEndingAfter(vm.vas, addr); i < vm.vas.length; i++) {
    const v = vm.vas[i]!;
    if (v.addr >= end) break;
    out.push(v);
  }
  return out;
}

/** `drm_gpuva_find_first`: the lowest VA overlapping `[addr, addr + range)`. */
export function findFirst(vm: GpuVm, addr: number, range: number): GpuVa | undefined {
  return vasInRange(vm, addr, addr + range)[0];
}

/** `drm_gpuva_find`: the VA that is exactly `[addr, addr + range)`, else undefined (GPUVM-V11). */
export function findVa(vm: GpuVm, addr: number, range: number): GpuVa | undefined {
  const v = findFirst(vm, addr, range);
  return v !== undefined && v.addr === addr && v.range === range ? v : undefined;
}

/**
 * `drm_gpuva_find_prev`: the lowest VA overlapping `[start - 1, start]` (the kernel asks its interval
 * tree for that closed range), i.e. the VA right before `start` when VAs abut.
 */
export function findPrev(vm: GpuVm, start: number): GpuVa | undefined {
  return rangeValid(vm, start - 1, 1) ? findFirst(vm, start - 1, 2) : undefined;
}

/** `drm_gpuva_find_next`: the lowest VA overlapping `[end, end + 1]`, i.e. the VA right after `end`. */
export function findNext(vm: GpuVm, end: number): GpuVa | undefined {
  return rangeValid(vm, end, 1) ? findFirst(vm, end, 2) : undefined;
}

/** `drm_gpuvm_interval_empty`: no VA overlaps `[addr, addr + range)`. */
export function intervalEmpty(vm: GpuVm, addr: number, range: number): boolean {
  return findFirst(vm, addr, range) === undefined;
}

/** The VA with this id, or undefined. */
export function vaById(vm: GpuVm, id: number): GpuVa | undefined {
  return vm.vas.find((v) => v.id === id);
}

/** The user VAs (everything but the kernel node), in address order. */
export function userVas(vm: GpuVm): GpuVa[] {
  return vm.vas.filter((v) => v.id !== 0);
}

/** `vas` with `va` inserted in address order; throws if it overlaps (callers check first). */
export function insertSorted(vm: GpuVm, vas: readonly GpuVa[], va: GpuVa): GpuVa[] {
  const i = firstEndingAfter(vas, va.addr);
  const next = vas[i];
  if (next !== undefined && next.addr < va.addr + va.range) {
    throw new GpuVmStateError(vm.name, "insert", `[0x${va.addr.toString(16)}, +0x${va.range.toString(16)}) overlaps VA ${next.id}`);
  }
  return [...vas.slice(0, i), va, ...vas.slice(i)];
}

/** A VA to insert: everything but the id, which the VM assigns. */
export type NewGpuVa = Omit<GpuVa, "id">;

/**
 * `drm_gpuva_insert`: -EINVAL when the range is not valid, -EEXIST when it overlaps an existing VA
 * (the VM is then unchanged, GPUVM-V09). Does not link the VA to a vm_bo (`drm_gpuva_link`).
 */
export function insertVa(vm: GpuVm, va: NewGpuVa): { ok: true; vm: GpuVm; id: number } | { ok: false; errno: "EINVAL" | "EEXIST" } {
  if (!rangeValid(vm, va.addr, va.range)) return { ok: false, errno: "EINVAL" };
  if (!intervalEmpty(vm, va.addr, va.range)) return { ok: false, errno: "EEXIST" };
  const id = vm.nextVaId;
  return { ok: true, id, vm: { ...vm, vas: insertSorted(vm, vm.vas, { ...va, id }), nextVaId: id + 1 } };
}

/**
 * `drm_gpuva_remove`: drop a VA from the tree. Removing the kernel node is refused with a WARN and
 * changes nothing (GPUVM-V10). Does not unlink it from its vm_bo.
 */
export function removeVa(vm: GpuVm, id: number): { vm: GpuVm; warning?: string } {
  if (id === 0) return { vm, warning: "drm_gpuva_remove: can't destroy kernel reserved node" };
  if (vaById(vm, id) === undefined) throw new GpuVmStateError(vm.name, "remove", `no VA with id ${id}`);
  return { vm: { ...vm, vas: vm.vas.filter((v) => v.id !== id) } };
}
