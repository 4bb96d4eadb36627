import { describe, expect, it } from "vitest";
import { encode } from "./encode.ts";
import { step } from "./interpreter.ts";
import { SparseMemory } from "./memory.ts";
import { submitToRing } from "./scriptedHost.ts";
import { createCsState } from "./state.ts";

const RING = 0x10_0000;

function runOne(words: bigint[]) {
  const mem = new SparseMemory().map(RING, 4096);
  const r = step(submitToRing(createCsState({ ring: { base: RING, size: 4096 } }), mem, words), mem, 200);
  const run = r.effects.find((e) => e.type === "run");
  if (run?.type !== "run") throw new Error("no run effect");
  return run.job;
}

describe("RUN_* job descriptions from the staging registers (cs-isa.md §4)", () => {
  it("reads RUN_COMPUTE's selected SRT/FAU/SPD/TSD pairs and the r32–r39 dispatch registers", () => {
    const job = runOne([
      encode.move48(2, 0x1000), // SRT select 1 → d2
      encode.move32(8, 0x2000), encode.move32(9, 0x0300_0000), // FAU select 0 → d8, 3 entries in [63:56]
      encode.move48(20, 0x3000), // SPD select 2 → d20
      encode.move48(24, 0x4000), // TSD select 0 → d24
      encode.move32(32, 16),
      encode.move32(33, 63 + 2 ** 31), // 64×1×1 (X−1 in [9:0]), allow merging [31]
      encode.move32(34, 0), encode.move32(35, 0), encode.move32(36, 0),
      encode.move32(37, 10), encode.move32(38, 2), encode.move32(39, 1),
      encode.runCompute({ srtSelect: 1, spdSelect: 2, taskIncrement: 4, taskAxis: 1 }),
    ]);
    expect(job).toEqual({
      kind: "compute",
      shader: { srt: 0x1000, fau: { address: 0x2000, count: 3 }, spd: 0x3000, tsd: 0x4000 },
      globalAttributeOffset: 16,
      workgroupSize: { x: 64, y: 1, z: 1, allowMerging: true },
      jobOffset: { x: 0, y: 0, z: 0 },
      jobSize: { x: 10, y: 2, z: 1 },
      taskAxis: 1,
      taskIncrement: 4,
      workgroupsPerTask: 0,
    });
  });

  it("reads RUN_IDVS with Mesa's fixed selects and ORs flags_override into r56", () => {
    const job = runOne([
      encode.move48(4, 0x5000), encode.move48(20, 0x6000), encode.move32(33, 36), encode.move32(34, 2),
      encode.move48(40, 0x7000), encode.move32(50, 0x8002), encode.move32(56, 0x10), encode.move32(60, 7),
      encode.runIdvs({ flagsOverride: 0x3, mallocEnable: 1, fragmentSrtSelect: 1, drawIdRegisterEnable: 1, drawId: 60 }),
    ]);
    expect(job).toMatchObject({
      kind: "idvs", fragment: { srt: 0x5000, spd: 0x6000 }, indexCount: 36, instanceCount: 2, tilerContext: 0x7000,
      blend: { address: 0x8000, renderTargets: 2 }, primitiveFlags: 0x13, drawId: 7, mallocEnable: true,
    });
  });

  it("reads RUN_FRAGMENT's framebuffer pointer flags, bounding box and tile-enable map", () => {
    const job = runOne([
      encode.move48(40, 0x9000 | 0x5), encode.move32(42, (0 << 16) | 0), encode.move32(43, (1079 << 16) | 1919),
      encode.move48(44, 0xa000), encode.move32(46, 64), encode.runFragment({ enableTem: true, tileOrder: 1 }),
    ]);
    expect(job).toEqual({
      kind: "fragment", fbd: { address: 0x9000, flags: 5 }, bboxMin: { x: 0, y: 0 }, bboxMax: { x: 1919, y: 1079 },
      tileEnableMap: { address: 0xa000, stride: 64 }, tileOrder: 1,
    });
  });
});
