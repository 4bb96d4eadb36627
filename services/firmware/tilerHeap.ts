import type { RunEffect } from "./cs/effects.ts";

/**
 * When the simulated tiler runs out of heap memory — the condition behind CS_TILER_OOM
 * (panthor.md §7.3, cs-isa.md §6.5). tyrsim does not walk Mesa's heap descriptors; it counts:
 *
 * - every render pass in flight (`heap_vt_start − heap_frag_end`, the counters HEAP_OPERATION
 *   and FINISH_FRAGMENT maintain) holds one heap chunk;
 * - a heap starts with {@link TILER_INITIAL_CHUNKS} chunks (assumed; panthor lets user space
 *   choose `initial_chunk_count`), plus one per chunk the host granted through a TILER_OOM
 *   answer (`heap_start` non-zero);
 * - a RUN_IDVS issued while the passes in flight exceed the chunks raises TILER_OOM, and the
 *   IDVS job waits for the answer (or the TILER_OOM exception handler, when one is installed).
 */

/** Assumed heap chunks available before the first TILER_OOM. */
export const TILER_INITIAL_CHUNKS = 4;

/** Whether an IDVS job, with the heap counters it was issued with, needs a chunk the heap does not have. */
export function tilerNeedsChunk(heap: RunEffect["heap"], grantedChunks: number): boolean {
  return heap.vtStart - heap.fragEnd > TILER_INITIAL_CHUNKS + grantedChunks;
}

/**
 * A chunk as panthor hands it back in `heap_start`/`heap_end`: `chunk_gpu_va | (chunk_size >> 12)`
 * (`panthor_heap_grow()`); 0 means the host had no memory (-ENOMEM).
 */
export function decodeGrantedChunk(heapStart: number): { readonly va: number; readonly size: number } | null {
  if (heapStart === 0) return null;
  const low = heapStart % 4096;
  return { va: heapStart - low, size: low * 4096 };
}
