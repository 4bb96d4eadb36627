/**
 * CS_TILER_OOM → heap growth (panthor.md §7.3; `group_process_tiler_oom` →
 * `panthor_heap_grow`): read the heap context VA and the render-pass counters from the CS output
 * block, find the heap in the group's VM, and answer through CS input `heap_start`/`heap_end`:
 * a new chunk (`chunk_va | chunk_size >> 12`, linked at the head of the chain) or 0 — -ENOMEM
 * when more render passes are in flight than `target_in_flight` or the heap has `max_chunks`
 * chunks (mainline folds the older -EBUSY into -ENOMEM), which makes the firmware wait for
 * fragment jobs to free memory. The caller acknowledges the event and rings the CSG doorbell.
 *
 * Simplified: done in the IRQ's kernel task, not on `heap_alloc_wq`; a heap the group's VM does
 * not know answers 0 like -ENOMEM (panthor would mark the queue fatal).
 */
import { ERRNO } from "../../../shared/gpu/errno.ts";
import { CS_INPUT, CS_OUTPUT } from "../../firmware/interfaces.ts";
import { heapGrowBegin } from "../fence/pathHooks.ts";
import { emit, type KTask } from "../ktask.ts";
import { csIface } from "../fw/fwIface.ts";
import type { KernelCtx } from "../uapi/ioctlContext.ts";
import { schedPaths, TilerHeapGrown } from "./schedEvents.ts";
import type { PanthorGroup } from "./schedTypes.ts";
import { allocHeapChunk, heapCtxVa } from "./tilerHeap.ts";

/** Answer a TILER_OOM on stream `cs` of slot `csg` (see the module comment). */
export function* tilerOom(kc: KernelCtx, csg: number, cs: number, g: PanthorGroup | undefined): KTask<void> {
  const fw = kc.d.fw!;
  const iface = csIface(fw, csg, cs);
  const ctxVa = fw.shared.field(iface.output, CS_OUTPUT, "heap_address");
  const vtStart = fw.shared.field(iface.output, CS_OUTPUT, "heap_vt_start");
  const fragEnd = fw.shared.field(iface.output, CS_OUTPUT, "heap_frag_end");
  const pool = g?.vm.heapPool;
  const heap = pool === undefined ? undefined : [...pool.heaps.values()].find((h) => heapCtxVa(pool, h.id) === ctxVa);
  let answer = 0;
  let errno = -ERRNO.ENOMEM;
  if (g !== undefined && heap !== undefined && vtStart - fragEnd <= heap.targetInFlight && heap.chunks.length < heap.maxChunks) {
    const end = heapGrowBegin(kc.d, g, heap.chunkSize);
    const chunk = yield* allocHeapChunk(kc.d, g.vm, heap);
    end();
    if (typeof chunk !== "number") {
      answer = chunk.va + (heap.chunkSize >> 12);
      errno = 0;
    }
  }
  yield* fw.shared.write(iface.input, CS_INPUT, { heap_start: answer, heap_end: answer });
  if (g !== undefined) {
    yield* emit(TilerHeapGrown, schedPaths(kc.d.dev.gpu).group, { file: g.file, group: g.handle, queue: cs, ctxVa, chunkVa: answer, errno });
  }
}
