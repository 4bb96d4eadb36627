/**
 * A frame loop's bookkeeping, as a game's swapchain keeps it: at each vsync a new frame starts
 * only if a swapchain image is free (fewer than `limit` frames in flight), else the vsync is
 * skipped; a frame leaves flight when its completion is seen. Pure functions over plain data —
 * the workload actor calls them and publishes what they decide.
 */

/** A frame between its vsync and its completion. */
export interface InFlightFrame {
  readonly frame: number;
  /** Swapchain slot: which geometry stream (and image) the frame uses. */
  readonly slot: number;
  readonly vsyncNs: number;
}

/** The frame loop's state. */
export interface FrameBook {
  /** Frames to render in all. */
  readonly target: number;
  /** Swapchain depth: at most this many frames in flight. */
  readonly limit: number;
  readonly submitted: number;
  readonly completed: number;
  readonly skipped: number;
  readonly inFlight: readonly InFlightFrame[];
  readonly latencySumNs: number;
  readonly maxLatencyNs: number;
  /** Vsync of frame 1 (-1 before it). */
  readonly firstVsyncNs: number;
  /** Time the last completion was seen (-1 before it). */
  readonly lastCompletionNs: number;
}

/** What a vsync does: start frame `frame` in `slot`, skip (swapchain full), or nothing (all frames started). */
export type VsyncDecision = { readonly kind: "render"; readonly frame: number; readonly slot: number } | { readonly kind: "skip" } | { readonly kind: "idle" };

/** An empty book for `target` frames with `limit` swapchain images. */
export function newFrameBook(target: number, limit: number): FrameBook {
  return { target, limit, submitted: 0, completed: 0, skipped: 0, inFlight: [], latencySumNs: 0, maxLatencyNs: 0, firstVsyncNs: -1, lastCompletionNs: -1 };
}

/** The lowest slot no in-flight frame uses (a free swapchain image), or undefined. */
export function freeSlot(book: FrameBook): number | undefined {
  for (let s = 0; s < book.limit; s++) if (!book.inFlight.some((f) => f.slot === s)) return s;
  return undefined;
}

/** A vsync at `nowNs`: the decision and the book after it. */
export function onVsync(book: FrameBook, nowNs: number): { book: FrameBook; decision: VsyncDecision } {
  if (book.submitted >= book.target) return { book, decision: { kind: "idle" } };
  const slot = freeSlot(book);
  if (slot === undefined) return { book: { ...book, skipped: book.skipped + 1 }, decision: { kind: "skip" } };
  const frame = book.submitted + 1;
  return {
    book: {
      ...book,
      submitted: frame,
      inFlight: [...book.inFlight, { frame, slot, vsyncNs: nowNs }],
      firstVsyncNs: book.firstVsyncNs < 0 ? nowNs : book.firstVsyncNs,
    },
    decision: { kind: "render", frame, slot },
  };
}

/** Frame `frame` was seen complete at `nowNs`: the book and the frame's latency from its vsync, or undefined if it is not in flight. */
export function onFrameDone(book: FrameBook, frame: number, nowNs: number): { book: FrameBook; latencyNs: number; vsyncNs: number } | undefined {
  const f = book.inFlight.find((x) => x.frame === frame);
  if (f === undefined) return undefined;
  const latencyNs = nowNs - f.vsyncNs;
  return {
    book: {
      ...book,
      completed: book.completed + 1,
      inFlight: book.inFlight.filter((x) => x.frame !== frame),
      latencySumNs: book.latencySumNs + latencyNs,
      maxLatencyNs: Math.max(book.maxLatencyNs, latencyNs),
      lastCompletionNs: nowNs,
    },
    latencyNs,
    vsyncNs: f.vsyncNs,
  };
}

/** Every frame started and completed. */
export const allFramesDone = (book: FrameBook): boolean => book.submitted >= book.target && book.inFlight.length === 0;

/** Mean frame latency in ns (0 before any completion). */
export const meanLatencyNs = (book: FrameBook): number => (book.completed === 0 ? 0 : Math.round(book.latencySumNs / book.completed));

/**
 * The vertex count of a frame: `base` varied by up to ±`jitter` (relative) by the uniform draw
 * `u` ∈ [0, 1) — the scene changing from frame to frame. At least 1.
 */
export function frameVertices(base: number, jitter: number, u: number): number {
  return Math.max(1, Math.round(base * (1 + jitter * (2 * u - 1))));
}

/**
 * The vsync tick after `nowNs` on a display refreshing at `fps`, counted from time 0: tick k is at
 * round(k × 10⁹ / fps) ns, so periods never drift from rounding. Returns the tick number and time.
 */
export function nextVsync(nowNs: number, fps: number): { tick: number; atNs: number } {
  const period = 1e9 / fps;
  let tick = Math.floor(nowNs / period) + 1;
  while (Math.round((tick - 1) * period) > nowNs) tick--;
  while (Math.round(tick * period) <= nowNs) tick++;
  return { tick, atNs: Math.round(tick * period) };
}
