import { describe, expect, it } from "vitest";
import type { RunEffect } from "../firmware/cs/effects.ts";
import { wordsToBytes } from "../firmware/cs/encoding.ts";
import { step } from "../firmware/cs/interpreter.ts";
import { SparseMemory } from "../firmware/cs/memory.ts";
import { submitToRing } from "../firmware/cs/scriptedHost.ts";
import { createCsState } from "../firmware/cs/state.ts";
import { CYCLES_PER_PIXEL, CYCLES_PER_VERTEX, jobDispatch } from "../firmware/jobDispatch.ts";
import {
  DESCRIPTOR, DESCRIPTORS_VA, FRAGMENT_OFFSET, FRAGMENT_STREAM_BYTES, GEOMETRY_STREAM_BYTES, VERTEX_COUNT_WORD, descriptorsImage, fragmentStream, geometryOffset, geometryStream,
  streamsImage, targetBytes, vertexCountWord,
} from "./frameStreams.ts";

const RING = 0x10_0000;
const target = { job: "j", as: 1, computeCores: 0x50005, fragmentCores: 0x50005 };

/** Run a stream on the CS interpreter and return its RUN_* effects. */
function runsOf(words: bigint[]): RunEffect[] {
  const mem = new SparseMemory().map(RING, 4096);
  const r = step(submitToRing(createCsState({ ring: { base: RING, size: 4096 } }), mem, words), mem, 100);
  return r.effects.filter((e): e is RunEffect => e.type === "run");
}

describe("the frame's command streams", () => {
  it("draw the configured vertex count with RUN_IDVS, costing 32 cycles per vertex and reading the position SPD and tiler context", () => {
    const [run, ...more] = runsOf(geometryStream(60_000));
    expect(more).toEqual([]);
    const job = jobDispatch(run!, target)!;
    expect(job.kind).toBe("vertex");
    expect(job.cost.cycles).toBe(60_000 * CYCLES_PER_VERTEX);
    expect(job.ranges).toContainEqual({ va: DESCRIPTORS_VA + DESCRIPTOR.positionSpd, size: 64, access: "read" });
    expect(job.ranges).toContainEqual({ va: DESCRIPTORS_VA + DESCRIPTOR.tilerContext, size: 128, access: "read" });
  });

  it("shade the whole render target with RUN_FRAGMENT, costing 4 cycles per pixel and reading the FBD", () => {
    const [run] = runsOf(fragmentStream({ width: 1920, height: 1080 }));
    const job = jobDispatch(run!, target)!;
    expect(job.kind).toBe("fragment");
    expect(job.cost.cycles).toBe(1920 * 1080 * CYCLES_PER_PIXEL);
    expect(job.ranges).toEqual([{ va: DESCRIPTORS_VA + DESCRIPTOR.fbd, size: 64, access: "read" }]);
  });

  it("keep the vertex count in one instruction word the CPU can rewrite per frame", () => {
    expect(geometryStream(1234)[VERTEX_COUNT_WORD]).toBe(vertexCountWord(1234));
    const img = streamsImage(3, 500, { width: 64, height: 64 });
    expect(img.subarray(geometryOffset(2), geometryOffset(2) + geometryStream(500).length * 8)).toEqual(wordsToBytes(geometryStream(500)));
    expect(img.subarray(FRAGMENT_OFFSET)).toEqual(wordsToBytes(fragmentStream({ width: 64, height: 64 })));
  });

  it("size the render target in whole pages and put its VA and size in the FBD", () => {
    expect(targetBytes({ width: 1280, height: 720 })).toBe(1280 * 720 * 4);
    expect(targetBytes({ width: 10, height: 10 })).toBe(4096);
    const v = new DataView(descriptorsImage({ width: 1280, height: 720 }).buffer);
    expect(v.getUint16(DESCRIPTOR.fbd + 8, true)).toBe(1279);
    expect(v.getUint16(DESCRIPTOR.fbd + 10, true)).toBe(719);
  });

  it("keeps each stream's byte length whatever the vertex count or target size, as GROUP_SUBMIT's stream_size assumes", () => {
    for (const vertices of [0, 1, 3, 0xffff_ffff]) expect(geometryStream(vertices).length * 8).toBe(GEOMETRY_STREAM_BYTES);
    for (const size of [{ width: 1, height: 1 }, { width: 1280, height: 720 }, { width: 3840, height: 2160 }]) expect(fragmentStream(size).length * 8).toBe(FRAGMENT_STREAM_BYTES);
  });
});
