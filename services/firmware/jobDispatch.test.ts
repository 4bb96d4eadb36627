import { describe, expect, it } from "vitest";
import type { RunEffect } from "./cs/effects.ts";
import { encode } from "./cs/encode.ts";
import { step } from "./cs/interpreter.ts";
import { SparseMemory } from "./cs/memory.ts";
import { submitToRing } from "./cs/scriptedHost.ts";
import { createCsState } from "./cs/state.ts";
import { CYCLES_PER_INVOCATION, CYCLES_PER_PIXEL, CYCLES_PER_VERTEX, jobDispatch } from "./jobDispatch.ts";
import { TILER_INITIAL_CHUNKS, decodeGrantedChunk, tilerNeedsChunk } from "./tilerHeap.ts";

const RING = 0x10_0000;
const target = { job: "csg0.cs0.job1", as: 1, computeCores: 0x5, fragmentCores: 0x50000 };

/** The `run` effect of a ring: staging-register moves, then the RUN_* instruction. */
function runOf(words: bigint[]): RunEffect {
  const mem = new SparseMemory().map(RING, 4096);
  const r = step(submitToRing(createCsState({ ring: { base: RING, size: 4096 } }), mem, words), mem, 100);
  const run = r.effects.find((e) => e.type === "run");
  if (run?.type !== "run") throw new Error("no run effect");
  return run;
}

describe("RUN_* → shader-core job (the documented staging-register convention)", () => {
  it("costs a compute job 64 cycles per invocation and reads its descriptors, on the CSG's compute cores", () => {
    // given workgroups of 8 × 2 × 1 and a job of 3 × 1 × 1 workgroups, SPD, SRT and 4 FAU words
    const run = runOf([
      encode.move48(0, 0x2000), encode.move48(8, 0x3000), encode.move32(9, 4 << 24), encode.move48(16, 0x4000),
      encode.move32(33, 7 | (1 << 10)), encode.move32(37, 3), encode.move32(38, 1), encode.move32(39, 1), encode.runCompute(),
    ]);
    expect(jobDispatch(run, target)).toEqual({
      job: "csg0.cs0.job1", as: 1, kind: "compute", coreMask: 0x5, cost: { cycles: 8 * 2 * 3 * CYCLES_PER_INVOCATION },
      ranges: [{ va: 0x4000, size: 64, access: "read" }, { va: 0x2000, size: 64, access: "read" }, { va: 0x3000, size: 32, access: "read" }],
    });
  });

  it("costs an IDVS draw per vertex and instance, and a fragment job per pixel of its bounding box", () => {
    const idvs = jobDispatch(runOf([encode.move48(16, 0x4000), encode.move32(33, 30), encode.move32(34, 2), encode.runIdvs()]), target)!;
    expect([idvs.kind, idvs.cost.cycles, idvs.coreMask]).toEqual(["vertex", 30 * 2 * CYCLES_PER_VERTEX, 0x5]);
    const frag = jobDispatch(runOf([encode.move48(40, 0x8000), encode.move32(42, 0), encode.move32(43, 15 | (7 << 16)), encode.runFragment()]), target)!;
    expect(frag).toMatchObject({ kind: "fragment", coreMask: 0x50000, cost: { cycles: 16 * 8 * CYCLES_PER_PIXEL }, ranges: [{ va: 0x8000, size: 64, access: "read" }] });
  });

  it("does not dispatch the decode-only RUN_TILING and RUN_FULLSCREEN, and costs an empty job one cycle", () => {
    expect(jobDispatch(runOf([encode.runTiling()]), target)).toBeUndefined();
    expect(jobDispatch(runOf([encode.runCompute()]), target)).toMatchObject({ cost: { cycles: 1 }, ranges: [{ va: 0, size: 64, access: "read" }] });
  });
});

describe("tiler heap exhaustion (the TILER_OOM condition)", () => {
  it("needs a chunk once the render passes in flight exceed the initial chunks plus those granted", () => {
    const heap = (vtStart: number, fragEnd = 0) => ({ vtStart, vtEnd: 0, fragEnd });
    expect(tilerNeedsChunk(heap(TILER_INITIAL_CHUNKS), 0)).toBe(false);
    expect(tilerNeedsChunk(heap(TILER_INITIAL_CHUNKS + 1), 0)).toBe(true);
    expect(tilerNeedsChunk(heap(TILER_INITIAL_CHUNKS + 1), 1)).toBe(false);
    expect(tilerNeedsChunk(heap(TILER_INITIAL_CHUNKS + 1, 2), 0)).toBe(false);
  });

  it("decodes panthor's chunk answer (VA | size >> 12), 0 being -ENOMEM", () => {
    expect(decodeGrantedChunk(0x90_0000 | (0x2_0000 >> 12))).toEqual({ va: 0x90_0000, size: 0x2_0000 });
    expect(decodeGrantedChunk(0)).toBeNull();
  });
});
