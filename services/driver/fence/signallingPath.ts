/**
 * The two helpers every annotated driver path goes through: {@link pathAllocate} for each
 * allocation (its gfp recorded with lockdep, published when inside a signalling section, decided
 * against the device's memory) and {@link pathWait} for each fence wait (recorded with lockdep,
 * reported when unbounded inside a section). Sections themselves are `beginSection`/`endSection`,
 * `dma_fence_begin_signalling`/`dma_fence_end_signalling` on the device's checker.
 *
 * Violations come back from the checker as data and are published as `FenceSignallingViolation`
 * with the causing event as their cause (the event the actor was handling).
 */
import { allocate, gfpMayReclaim, type AllocOutcome, type DmaFence, type Gfp, type SignallingCookie, type SignallingViolation } from "../../fence/index.ts";
import type { DriverState } from "../uapi/driverState.ts";
import { disciplineOf } from "./discipline.ts";
import { FenceSignallingViolation, fencePaths, SignallingPathAllocated } from "./fenceEvents.ts";
import { memoryPressureView } from "./memoryView.ts";

/** A job as the fence events name it. */
export interface JobRef {
  readonly file: number;
  readonly group: number;
  readonly queue: number;
  readonly job: string;
  readonly fence: number;
}

/** Where an annotated operation happens: thread, section (kernel function) and site. */
export interface PathSite {
  readonly thread: string;
  readonly section: string;
  readonly site: string;
  readonly job?: JobRef;
}

/** `dma_fence_begin_signalling()` on `thread`. */
export function beginSection(d: DriverState, thread: string): SignallingCookie {
  return disciplineOf(d).checker.beginSignalling(thread);
}

/** `dma_fence_end_signalling(cookie)` on `thread`. */
export function endSection(d: DriverState, thread: string, cookie: SignallingCookie): void {
  disciplineOf(d).checker.endSignalling(thread, cookie);
}

function publishViolations(d: DriverState, at: PathSite, vs: readonly SignallingViolation[], extra: { allocation?: { gfp: Gfp; bytes: number }; waitsOn?: number[] }): void {
  const f = disciplineOf(d);
  for (const v of vs) {
    f.publish(FenceSignallingViolation, fencePaths(d.dev.gpu).fence, {
      kind: v.kind, thread: v.thread, section: at.section, site: at.site, lock: v.lock, chain: [...v.chain],
      ...(extra.allocation !== undefined && { allocation: extra.allocation }), ...(extra.waitsOn !== undefined && { waitsOn: extra.waitsOn }),
      ...(at.job !== undefined && { job: at.job }), message: v.message,
    });
  }
}

/**
 * One allocation of `bytes` with `gfp` at `at`: reported to lockdep (a reclaiming gfp inside a
 * section is a violation, FENCE-R05/R08b), published as `SignallingPathAllocated` when inside a
 * section, and decided against the device's memory with `blocks` — the fences that cannot signal
 * until it returns (`services/fence/reclaim.ts`).
 *
 * Simplified: a successful allocation takes no frames (kernel memory is not modelled; only the
 * reclaim it may need is).
 */
export function pathAllocate(d: DriverState, at: PathSite, req: { bytes: number; gfp: Gfp; blocks: readonly DmaFence[] }): AllocOutcome {
  const f = disciplineOf(d);
  const inSection = f.checker.inSignallingSection(at.thread);
  const violations = f.checker.allocate(at.thread, req.gfp, at.site);
  const blocks = new Set(req.blocks.map((x) => x.id));
  const outcome = allocate(memoryPressureView(d, blocks), { bytes: req.bytes, gfp: req.gfp, blocks: req.blocks });
  if (inSection) {
    f.publish(SignallingPathAllocated, fencePaths(d.dev.gpu).fence, {
      thread: at.thread, section: at.section, site: at.site, gfp: req.gfp, bytes: req.bytes, mayReclaim: gfpMayReclaim(req.gfp),
      outcome: outcome.kind === "from-reserve" ? "allocated" : outcome.kind, ...(at.job !== undefined && { job: at.job }),
    });
  }
  publishViolations(d, at, violations, { allocation: { gfp: req.gfp, bytes: req.bytes } });
  return outcome;
}

/**
 * A wait on `fences` at `at` (`dma_fence_wait` / `dma_resv_wait_timeout`): reported to lockdep
 * (FENCE-R07), and unless `bounded`, a violation when inside a section. The caller does the
 * waiting itself (a kernel task's `waitEvent`).
 */
export function pathWait(d: DriverState, at: PathSite, fences: readonly DmaFence[], bounded = false): void {
  const f = disciplineOf(d);
  const violations = f.checker.waitFence(at.thread, { site: at.site, bounded });
  publishViolations(d, at, violations, { waitsOn: fences.map((x) => x.id) });
}
