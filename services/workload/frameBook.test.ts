import { describe, expect, it } from "vitest";
import { allFramesDone, freeSlot, frameVertices, meanLatencyNs, newFrameBook, nextVsync, onFrameDone, onVsync, type FrameBook } from "./frameBook.ts";

const MS = 1_000_000;

/** Apply vsyncs at the given times, returning the decisions' kinds and the book. */
function vsyncs(book: FrameBook, times: readonly number[]): { book: FrameBook; kinds: string[] } {
  const kinds: string[] = [];
  for (const t of times) {
    const r = onVsync(book, t);
    book = r.book;
    kinds.push(r.decision.kind);
  }
  return { book, kinds };
}

describe("the frame book (swapchain bookkeeping)", () => {
  it("starts a frame per vsync in the lowest free slot until the swapchain is full, then skips and counts", () => {
    // given a swapchain of 2 images and 5 frames to render
    const { book, kinds } = vsyncs(newFrameBook(5, 2), [16 * MS, 33 * MS, 50 * MS]);
    // then two frames start (slots 0 and 1) and the third vsync is skipped
    expect(kinds).toEqual(["render", "render", "skip"]);
    expect(book.inFlight.map((f) => [f.frame, f.slot, f.vsyncNs])).toEqual([[1, 0, 16 * MS], [2, 1, 33 * MS]]);
    expect(book.skipped).toBe(1);
    expect(book.submitted).toBe(2);
    expect(freeSlot(book)).toBeUndefined();
  });

  it("frees a frame's slot when it completes, with its latency counted from its vsync", () => {
    let book = vsyncs(newFrameBook(5, 2), [16 * MS, 33 * MS]).book;
    const done = onFrameDone(book, 1, 21 * MS)!;
    expect(done.latencyNs).toBe(5 * MS);
    book = done.book;
    expect(freeSlot(book)).toBe(0);
    // the next frame reuses slot 0
    const next = onVsync(book, 50 * MS);
    expect(next.decision).toEqual({ kind: "render", frame: 3, slot: 0 });
    expect(book.completed).toBe(1);
    expect(book.maxLatencyNs).toBe(5 * MS);
  });

  it("ignores a completion of a frame that is not in flight", () => {
    const book = vsyncs(newFrameBook(2, 2), [16 * MS]).book;
    expect(onFrameDone(book, 7, 20 * MS)).toBeUndefined();
  });

  it("goes idle once every frame started and is done once every frame completed", () => {
    let book = vsyncs(newFrameBook(2, 3), [10, 20]).book;
    expect(onVsync(book, 30).decision.kind).toBe("idle");
    expect(allFramesDone(book)).toBe(false);
    book = onFrameDone(book, 1, 15)!.book;
    book = onFrameDone(book, 2, 40)!.book;
    expect(allFramesDone(book)).toBe(true);
    expect(meanLatencyNs(book)).toBe(Math.round((5 + 20) / 2));
    expect(book.firstVsyncNs).toBe(10);
    expect(book.lastCompletionNs).toBe(40);
  });

  it("varies the vertex count by at most the jitter, never below one vertex", () => {
    expect(frameVertices(1000, 0.1, 0)).toBe(900);
    expect(frameVertices(1000, 0.1, 0.5)).toBe(1000);
    expect(frameVertices(1000, 0.1, 0.999999)).toBe(1100);
    expect(frameVertices(1, 1, 0)).toBe(1);
  });

  it("puts vsyncs on a drift-free 60 Hz grid from time 0", () => {
    expect(nextVsync(0, 60)).toEqual({ tick: 1, atNs: 16_666_667 });
    expect(nextVsync(16_666_667, 60)).toEqual({ tick: 2, atNs: 33_333_333 });
    expect(nextVsync(16_666_666, 60)).toEqual({ tick: 1, atNs: 16_666_667 });
    expect(nextVsync(9_999_999_999, 60).atNs).toBe(10_000_000_000);
  });
});
