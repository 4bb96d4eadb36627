/**
 * Memory pressure honoured by the driver: an injected `memory-pressure` fault takes RAM away
 * (`MemoryPressureApplied`), so the GEM system-memory limit drops by as much. Free frames leave
 * the pool at once, the shrinker reclaims idle unpinned objects (purge DONTNEED, swap WILLNEED,
 * `GemPurged`/`GemSwappedOut`), and what is still missing is owed (`GemLimitLowered.owedBytes`).
 * While memory is owed the shrinker works on ({@link gemShrinkerWork}): it waits for busy objects'
 * reservation fences (`dma_resv_wait_timeout`, outside any signalling section, as kswapd would),
 * and repays from every frame that comes free or object that goes idle.
 *
 * Simplified: the pressure is a byte count off the GEM limit, not a change of the whole system's
 * free memory; an object idle after the wait is still mapped by its VM, so the shrinker cannot
 * evict it (panthor pins mapped BOs) and the debt waits for frames freed later (unmaps, closes).
 */
import { freeFrameCount, reclaimableBytes } from "../../gem/index.ts";
import { emit, waitEvent, type KTask } from "../ktask.ts";
import { gemRun } from "../uapi/gemShell.ts";
import type { KernelCtx } from "../uapi/ioctlContext.ts";
import { fencePaths, GemShrinkerWaitDone, GemShrinkerWaiting } from "./fenceEvents.ts";
import { busyVms } from "./memoryView.ts";
import { pathWait } from "./signallingPath.ts";

const THREAD = "gem-shrinker";

/** Lower the GEM limit by `bytes`; true when memory is still owed (the shrinker must run). */
export function* lowerGemLimit(kc: KernelCtx, bytes: number): KTask<boolean> {
  yield* gemRun(kc.d, { type: "lowerLimit", bytes });
  return kc.d.gem.owedBytes > 0;
}

/** Something the shrinker can act on: free frames, idle objects, or busy objects to wait for. */
function actionable(kc: KernelCtx): true | undefined {
  const gem = kc.d.gem;
  if (gem.owedBytes === 0 || freeFrameCount(gem.pool) > 0 || reclaimableBytes(gem) > 0) return true;
  return busyVms(kc.d).some((b) => b.bytes > 0) ? true : undefined;
}

/** The shrinker while memory is owed (see the module comment); ends when the debt is paid. */
export function* gemShrinkerWork(kc: KernelCtx): KTask<void> {
  const { d } = kc;
  const path = fencePaths(d.dev.gpu).fence;
  for (;;) {
    yield* gemRun(d, { type: "repay" });
    if (d.gem.owedBytes === 0) return;
    const busy = busyVms(d).filter((b) => b.bytes > 0);
    if (busy.length === 0) {
      yield* waitEvent(() => actionable(kc), Number.POSITIVE_INFINITY);
      continue;
    }
    const fences = busy.flatMap((b) => b.fences.map((x) => x.fence));
    const ids = fences.map((x) => x.id);
    yield* emit(GemShrinkerWaiting, path, { thread: THREAD, owedBytes: d.gem.owedBytes, fences: ids, objects: busy.flatMap((b) => b.objects) });
    pathWait(d, { thread: THREAD, section: "none", site: "drm_gem_shrinker: dma_resv_wait_timeout" }, fences);
    yield* waitEvent(() => (fences.every((x) => x.signalled) ? true : undefined), Number.POSITIVE_INFINITY);
    yield* emit(GemShrinkerWaitDone, path, { thread: THREAD, fences: ids, owedBytes: d.gem.owedBytes });
    yield* waitEvent(() => actionable(kc), Number.POSITIVE_INFINITY);
  }
}
