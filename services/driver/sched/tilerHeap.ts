/**
 * Tiler heaps (panthor_heap.c; panthor.md §1.10, §7.2): TILER_HEAP_CREATE / TILER_HEAP_DESTROY
 * over a per-VM heap pool. The pool (made by the first create) owns a GPU-visible context BO
 * with one heap context per heap (stride 32 bytes rounded up to the L2 line); a heap is a chain
 * of chunk BOs (kernel BOs in the VM, NO_MMAP, NOEXEC), each starting with a header whose `next`
 * = `(next_chunk_va & ~0xfff) | (chunk_size >> 12)`; a new chunk goes to the head of the chain.
 * The handle user space gets is `(vm_id << 16) | heap_id`.
 *
 * Errors: unknown VM, `initial_chunk_count` 0 or above `max_chunks`, `chunk_size` not a page
 * multiple or outside [128 KiB, 8 MiB], `target_in_flight` 0, pad → -EINVAL; a full pool
 * (128 heaps) → -EBUSY (`xa_alloc`); no memory → -ENOMEM. Destroy: no such VM → -EINVAL, a VM
 * without a pool → -ENOENT, no such heap → -EINVAL.
 */
import { z } from "zod";
import { ERRNO } from "../../../shared/gpu/errno.ts";
import { emit, type KTask } from "../ktask.ts";
import type { DriverState, PanthorVm } from "../uapi/driverState.ts";
import { fail, failed, ok, type IoctlCtx, type IoctlResult } from "../uapi/ioctlContext.ts";
import { kernelBoCreate, kernelBoDestroy, kernelBoWrite, type KernelBo } from "../uapi/kernelBo.ts";
import { parseArgs, U32 } from "../uapi/userArgs.ts";
import { schedPaths, TilerHeapCreated, TilerHeapDestroyed } from "./schedEvents.ts";

/** `MAX_HEAPS_PER_POOL`. */
export const MAX_HEAPS_PER_POOL = 128;
const KiB = 1024;
const MiB = 1024 * KiB;

/** One heap (`struct panthor_heap`). */
export interface TilerHeap {
  readonly id: number;
  readonly chunkSize: number;
  readonly maxChunks: number;
  readonly targetInFlight: number;
  /** Chunks, head (newest) first. */
  readonly chunks: KernelBo[];
}

/** `struct panthor_heap_pool`. */
export interface HeapPool {
  readonly ctxBo: KernelBo;
  readonly stride: number;
  readonly heaps: Map<number, TilerHeap>;
}

/** `panthor_heap_ctx_stride`: 32 bytes rounded up to the L2 cache line (L2_FEATURES [7:0] = log2 line size). */
export function heapCtxStride(l2Features: number): number {
  const line = 2 ** (l2Features & 0xff);
  return Math.ceil(32 / line) * line;
}

/** The GPU VA of heap `id`'s context. */
export function heapCtxVa(pool: HeapPool, id: number): number {
  return pool.ctxBo.va + id * pool.stride;
}

/** A chunk header's `next` word pointing at `chunk`. */
function nextWord(chunk: KernelBo | undefined, chunkSize: number): bigint {
  return chunk === undefined ? 0n : BigInt(chunk.va - (chunk.va % 4096)) | BigInt(chunkSize >> 12);
}

/** `panthor_alloc_heap_chunk`: a chunk BO whose header points at the current head; linked at the head. */
export function* allocHeapChunk(d: DriverState, vm: PanthorVm, heap: TilerHeap): KTask<KernelBo | number> {
  const bo = yield* kernelBoCreate(d, vm, heap.chunkSize);
  if (typeof bo === "number") return bo;
  const header = new Uint8Array(64);
  new DataView(header.buffer).setBigUint64(0, nextWord(heap.chunks[0], heap.chunkSize), true);
  yield* kernelBoWrite(d, bo, 0, header);
  heap.chunks.unshift(bo);
  return bo;
}

function* destroyHeap(d: DriverState, heap: TilerHeap): KTask<void> {
  for (const c of heap.chunks.splice(0)) yield* kernelBoDestroy(d, c);
}

/** `panthor_heap_pool_destroy` (VM destroy, file close): every heap and the context BO. */
export function* destroyHeapPool(d: DriverState, vm: PanthorVm): KTask<void> {
  const pool = vm.heapPool;
  if (pool === undefined) return;
  vm.heapPool = undefined;
  for (const h of pool.heaps.values()) yield* destroyHeap(d, h);
  yield* kernelBoDestroy(d, pool.ctxBo);
}

const HeapCreateArgs = z.object({
  vm_id: U32, initial_chunk_count: U32, chunk_size: U32, max_chunks: U32, target_in_flight: U32,
  handle: U32, tiler_heap_ctx_gpu_va: z.unknown().optional(), first_heap_chunk_gpu_va: z.unknown().optional(),
});
const HeapDestroyArgs = z.object({ handle: U32, pad: U32 });

/**
 * DRM_IOCTL_PANTHOR_TILER_HEAP_CREATE (`panthor_heap_create`). Out: `handle`,
 * `tiler_heap_ctx_gpu_va`, `first_heap_chunk_gpu_va`.
 */
export function* tilerHeapCreate(c: IoctlCtx, raw: unknown): KTask<IoctlResult> {
  const a = parseArgs(HeapCreateArgs, raw);
  if (!a.ok) return failed(a);
  const { vm_id, initial_chunk_count: initial, chunk_size: chunkSize, max_chunks: maxChunks, target_in_flight: target } = a.value;
  const vm = c.file.vms.get(vm_id);
  if (vm === undefined || vm.status === "destroyed") return fail("EINVAL");
  if (initial === 0 || initial > maxChunks || target === 0) return fail("EINVAL");
  if (chunkSize % 4096 !== 0 || chunkSize < 128 * KiB || chunkSize > 8 * MiB) return fail("EINVAL");
  if (vm.heapPool === undefined) {
    const stride = heapCtxStride(c.d.dev.info.l2_features);
    const ctxBo = yield* kernelBoCreate(c.d, vm, MAX_HEAPS_PER_POOL * stride);
    if (typeof ctxBo === "number") return { ret: ctxBo };
    vm.heapPool = { ctxBo, stride, heaps: new Map() };
  }
  const pool = vm.heapPool;
  let id = 0;
  while (pool.heaps.has(id)) id++;
  if (id >= MAX_HEAPS_PER_POOL) return fail("EBUSY");
  const heap: TilerHeap = { id, chunkSize, maxChunks, targetInFlight: target, chunks: [] };
  pool.heaps.set(id, heap);
  for (let i = 0; i < initial; i++) {
    const chunk = yield* allocHeapChunk(c.d, vm, heap);
    if (typeof chunk === "number") {
      pool.heaps.delete(id);
      yield* destroyHeap(c.d, heap);
      return { ret: chunk === -ERRNO.ENOMEM ? chunk : -ERRNO.ENOMEM };
    }
  }
  const handle = vm_id * 2 ** 16 + id;
  const ctxVa = heapCtxVa(pool, id);
  yield* kernelBoWrite(c.d, pool.ctxBo, id * pool.stride, new Uint8Array(pool.stride));
  yield* emit(TilerHeapCreated, schedPaths(c.d.dev.gpu).group, { file: c.file.id, vmId: vm_id, handle, ctxVa, firstChunkVa: heap.chunks[0]!.va, chunks: initial, chunkSize });
  return ok({ handle, tiler_heap_ctx_gpu_va: ctxVa, first_heap_chunk_gpu_va: heap.chunks[0]!.va });
}

/** DRM_IOCTL_PANTHOR_TILER_HEAP_DESTROY (`panthor_heap_destroy`). */
export function* tilerHeapDestroy(c: IoctlCtx, raw: unknown): KTask<IoctlResult> {
  const a = parseArgs(HeapDestroyArgs, raw);
  if (!a.ok) return failed(a);
  if (a.value.pad !== 0) return fail("EINVAL");
  const vmId = Math.floor(a.value.handle / 2 ** 16);
  const vm = c.file.vms.get(vmId);
  if (vm === undefined) return fail("EINVAL");
  const pool = vm.heapPool;
  if (pool === undefined) return fail("ENOENT");
  const heap = pool.heaps.get(a.value.handle & 0xffff);
  if (heap === undefined) return fail("EINVAL");
  pool.heaps.delete(heap.id);
  yield* destroyHeap(c.d, heap);
  yield* emit(TilerHeapDestroyed, schedPaths(c.d.dev.gpu).group, { file: c.file.id, vmId, handle: a.value.handle });
  return ok();
}
