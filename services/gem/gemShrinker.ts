/**
 * The GEM shrinker: which idle objects give their pages back under memory pressure.
 *
 * panthor.md describes no shrinker for panthor, so the policy follows the drm_gem_lru users
 * (`drm_gem_lru_scan` in `drm_gem.c`, msm's `msm_gem_shrinker_scan`) and
 * `drm_gem_shmem_is_purgeable`:
 * - only idle objects are candidates: resident, no pins, not mapped by any GPU VM (panthor pins a
 *   BO for as long as a VM maps it), no in-flight job;
 * - first pass: purge DONTNEED objects, least recently used first (contents lost, `madv` becomes
 *   purged, as `drm_gem_shmem_purge`);
 * - second pass, only with swap: swap WILLNEED objects out, least recently used first (contents
 *   kept by the shell; pages come back on next use, as msm's eviction);
 * - the scan stops once `targetBytes` are freed.
 * Simplified: no trylock failures, no per-scan `nr_to_scan` budget beyond the target, no CPU-mapping
 * revocation (the shell must drop its CPU view of a reclaimed object), unlimited swap space.
 */
import { PAGE_SIZE } from "../../shared/gpu/physicalMemory.ts";
import type { GemEvent } from "./gemEvents.ts";
import type { GemObject, GemState } from "./gemState.ts";

/** Can the shrinker take this object's pages now? */
export function isReclaimable(o: GemObject): boolean {
  return o.pages !== undefined && o.pinCount === 0 && o.gpuMappings === 0 && o.jobRefs === 0 && o.madv !== "purged";
}

function candidates(state: GemState, exclude: number | undefined): GemObject[] {
  return [...state.objects.values()].filter((o) => o.obj !== exclude && isReclaimable(o)).sort((a, b) => a.lru - b.lru);
}

/** `count_objects`: bytes the shrinker could free right now (DONTNEED always, WILLNEED only with swap). */
export function reclaimableBytes(state: GemState): number {
  return candidates(state, undefined)
    .filter((o) => o.madv === "dontneed" || state.swapEnabled)
    .reduce((n, o) => n + (o.pages?.length ?? 0) * PAGE_SIZE, 0);
}

/**
 * `scan_objects`: the events that reclaim at least `targetBytes` if possible (fewer when not
 * enough is reclaimable; the caller compares). `exclude` protects the object being populated.
 *
 * @example shrink(state, 2 * 1024 * 1024) // [{ type: "GemPurged", ... }, { type: "GemSwappedOut", ... }]
 */
export function shrink(state: GemState, targetBytes: number, exclude?: number): GemEvent[] {
  const out: GemEvent[] = [];
  let freed = 0;
  const pool = candidates(state, exclude);
  const passes: [GemObject["madv"], "GemPurged" | "GemSwappedOut"][] = [["dontneed", "GemPurged"]];
  if (state.swapEnabled) passes.push(["willneed", "GemSwappedOut"]);
  for (const [madv, type] of passes) {
    for (const o of pool) {
      if (freed >= targetBytes) return out;
      if (o.madv !== madv) continue;
      out.push({ type, payload: { obj: o.obj, frames: [...o.pages!] } });
      freed += o.pages!.length * PAGE_SIZE;
    }
  }
  return out;
}
