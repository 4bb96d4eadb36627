/**
 * Which command stream the MCU runs next when several can make progress: the firmware's
 * priority arbitration among the resident groups (panthor.md §4.3 — panthor gives every resident
 * CSG a distinct CSG priority, endpoint_req [31:28], so the firmware can order them; each queue
 * has its own priority, CS `config` [3:0]). Pure.
 *
 * Order: higher CSG priority first, then higher CS priority, then the stream that ran least
 * recently (round-robin among equals, so a long loop in one stream is time-sliced against its
 * peers), then the lower CSG slot and CS index (determinism).
 *
 * Simplified: the MCU is one sequential executor and arbitration decides the order of its
 * slices; endpoint (shader core) sharing is not arbitrated — dispatched jobs run side by side.
 */
export interface StreamCandidate {
  readonly csg: number;
  readonly cs: number;
  readonly csgPriority: number;
  readonly csPriority: number;
  /** Serial of the stream's last slice (0 = never ran). */
  readonly lastRun: number;
}

/** The candidate to run next, or undefined when none is given. */
export function pickStream<C extends StreamCandidate>(candidates: readonly C[]): C | undefined {
  let best: C | undefined;
  for (const c of candidates) if (best === undefined || before(c, best)) best = c;
  return best;
}

function before(a: StreamCandidate, b: StreamCandidate): boolean {
  if (a.csgPriority !== b.csgPriority) return a.csgPriority > b.csgPriority;
  if (a.csPriority !== b.csPriority) return a.csPriority > b.csPriority;
  if (a.lastRun !== b.lastRun) return a.lastRun < b.lastRun;
  if (a.csg !== b.csg) return a.csg < b.csg;
  return a.cs < b.cs;
}
