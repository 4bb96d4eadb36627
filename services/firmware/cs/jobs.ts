import type { InstructionOf } from "./layouts.ts";

/**
 * The job descriptions RUN_COMPUTE / RUN_IDVS / RUN_FRAGMENT hand to the endpoints, read from the
 * staging registers of cs-isa.md §4 (Mesa `v10.xml` "COMPUTE SR", "IDVS SR", "FRAGMENT SR";
 * `pandecode_run_*` in `decode_csf.c`). The shader-core actor executes them; the interpreter only
 * snapshots the registers at issue time.
 *
 * Pointers are 48-bit GPU VAs as numbers; tag bits that share a pointer register (FAU count in
 * [63:56], blend RT count in [3:0], FBD flags in [5:0]) are split out. Simplified: RUN_TILING
 * and RUN_FULLSCREEN (unverified on v10, never emitted by Mesa) carry a raw register snapshot.
 */

type Regs = readonly number[];

const r = (regs: Regs, n: number): number => regs[n] ?? 0;
/** The 48-bit pointer held in pair d[n]. */
const ptr = (regs: Regs, n: number): number => r(regs, n) + (r(regs, n + 1) & 0xffff) * 2 ** 32;

/** A push-constant (FAU) pointer: address [47:0], 64-bit entry count [63:56]. */
export interface FauPointer {
  readonly address: number;
  readonly count: number;
}
const fau = (regs: Regs, n: number): FauPointer => ({ address: ptr(regs, n), count: r(regs, n + 1) >>> 24 });

/** The four shader resources a stage needs. */
export interface ShaderStage {
  readonly srt: number;
  readonly fau: FauPointer;
  readonly spd: number;
  readonly tsd: number;
}

/** RUN_COMPUTE / RUN_COMPUTE_INDIRECT (cs-isa.md §4.1). */
export interface ComputeJob {
  readonly kind: "compute" | "computeIndirect";
  readonly shader: ShaderStage;
  readonly globalAttributeOffset: number;
  readonly workgroupSize: { readonly x: number; readonly y: number; readonly z: number; readonly allowMerging: boolean };
  readonly jobOffset: { readonly x: number; readonly y: number; readonly z: number };
  readonly jobSize: { readonly x: number; readonly y: number; readonly z: number };
  readonly taskAxis: number;
  readonly taskIncrement: number;
  readonly workgroupsPerTask: number;
}

/** RUN_IDVS (cs-isa.md §4.2). */
export interface IdvsJob {
  readonly kind: "idvs";
  readonly position: ShaderStage;
  readonly varying: ShaderStage;
  readonly fragment: ShaderStage;
  readonly globalAttributeOffset: number;
  readonly indexCount: number;
  readonly instanceCount: number;
  readonly indexOffset: number;
  readonly vertexOffset: number;
  readonly instanceOffset: number;
  readonly indexBufferSize: number;
  readonly tilerContext: number;
  readonly scissor: { readonly min: number; readonly max: number };
  readonly depthClamp: { readonly low: number; readonly high: number };
  readonly occlusionQuery: number;
  readonly varyingSize: number;
  readonly blend: { readonly address: number; readonly renderTargets: number };
  readonly depthStencil: number;
  readonly indexBuffer: number;
  /** r56 OR-ed with the instruction's flags_override (Mesa `pandecode_run_idvs`). */
  readonly primitiveFlags: number;
  readonly dcdFlags: readonly [number, number, number];
  readonly primitiveSize: number;
  readonly drawId: number | null;
  readonly mallocEnable: boolean;
}

/** RUN_FRAGMENT (cs-isa.md §4.3). */
export interface FragmentJob {
  readonly kind: "fragment";
  readonly fbd: { readonly address: number; readonly flags: number };
  readonly bboxMin: { readonly x: number; readonly y: number };
  readonly bboxMax: { readonly x: number; readonly y: number };
  readonly tileEnableMap: { readonly address: number; readonly stride: number } | null;
  readonly tileOrder: number;
}

/** RUN_TILING / RUN_FULLSCREEN: decode-level only (cs-isa.md §4.4). */
export interface RawJob {
  readonly kind: "tiling" | "fullscreen";
  readonly flagsOverride: number;
  readonly registers: readonly number[];
}

/** What a RUN_* asks the endpoints to execute. */
export type JobDescriptor = ComputeJob | IdvsJob | FragmentJob | RawJob;

const xyz = (regs: Regs, n: number) => ({ x: r(regs, n), y: r(regs, n + 1), z: r(regs, n + 2) });

/** The compute job of a RUN_COMPUTE / RUN_COMPUTE_INDIRECT, from registers at issue. */
export function computeJob(regs: Regs, i: InstructionOf<"RUN_COMPUTE"> | InstructionOf<"RUN_COMPUTE_INDIRECT">): ComputeJob {
  const wg = r(regs, 33);
  return {
    kind: i.kind === "RUN_COMPUTE" ? "compute" : "computeIndirect",
    shader: { srt: ptr(regs, 2 * i.srtSelect), fau: fau(regs, 8 + 2 * i.fauSelect), spd: ptr(regs, 16 + 2 * i.spdSelect), tsd: ptr(regs, 24 + 2 * i.tsdSelect) },
    globalAttributeOffset: r(regs, 32),
    workgroupSize: { x: (wg & 0x3ff) + 1, y: ((wg >>> 10) & 0x3ff) + 1, z: ((wg >>> 20) & 0x3ff) + 1, allowMerging: (wg >>> 31) === 1 },
    jobOffset: xyz(regs, 34),
    jobSize: xyz(regs, 37),
    taskAxis: i.kind === "RUN_COMPUTE" ? i.taskAxis : 0,
    taskIncrement: i.kind === "RUN_COMPUTE" ? i.taskIncrement : 0,
    workgroupsPerTask: i.kind === "RUN_COMPUTE_INDIRECT" ? i.workgroupsPerTask : 0,
  };
}

/** The draw of a RUN_IDVS, from registers at issue. */
export function idvsJob(regs: Regs, i: InstructionOf<"RUN_IDVS">): IdvsJob {
  const stage = (srt: number, fauReg: number, spd: number, tsd: number): ShaderStage => ({
    srt: ptr(regs, srt), fau: fau(regs, fauReg), spd: ptr(regs, spd), tsd: ptr(regs, tsd),
  });
  return {
    kind: "idvs",
    position: stage(0, 8, 16, 24),
    varying: stage(i.varyingSrtSelect ? 2 : 0, i.varyingFauSelect ? 10 : 8, 18, i.varyingTsdSelect ? 26 : 24),
    fragment: stage(i.fragmentSrtSelect ? 4 : 0, 12, 20, i.fragmentTsdSelect ? 28 : 24),
    globalAttributeOffset: r(regs, 32),
    indexCount: r(regs, 33),
    instanceCount: r(regs, 34),
    indexOffset: r(regs, 35),
    vertexOffset: r(regs, 36) | 0,
    instanceOffset: r(regs, 37),
    indexBufferSize: r(regs, 39),
    tilerContext: ptr(regs, 40),
    scissor: { min: r(regs, 42), max: r(regs, 43) },
    depthClamp: { low: r(regs, 44), high: r(regs, 45) },
    occlusionQuery: ptr(regs, 46),
    varyingSize: r(regs, 48),
    blend: { address: ptr(regs, 50) - (r(regs, 50) & 0xf), renderTargets: r(regs, 50) & 0xf },
    depthStencil: ptr(regs, 52),
    indexBuffer: ptr(regs, 54),
    primitiveFlags: (r(regs, 56) | i.flagsOverride) >>> 0,
    dcdFlags: [r(regs, 57), r(regs, 58), r(regs, 38)],
    primitiveSize: ptr(regs, 60),
    drawId: i.drawIdRegisterEnable ? r(regs, i.drawId) : null,
    mallocEnable: i.mallocEnable === 1,
  };
}

/** The fragment job of a RUN_FRAGMENT, from registers at issue. */
export function fragmentJob(regs: Regs, i: InstructionOf<"RUN_FRAGMENT">): FragmentJob {
  const fbdLo = r(regs, 40);
  const point = (v: number) => ({ x: v & 0xffff, y: v >>> 16 });
  return {
    kind: "fragment",
    fbd: { address: ptr(regs, 40) - (fbdLo & 0x3f), flags: fbdLo & 0x3f },
    bboxMin: point(r(regs, 42)),
    bboxMax: point(r(regs, 43)),
    tileEnableMap: i.enableTem ? { address: ptr(regs, 44), stride: r(regs, 46) } : null,
    tileOrder: i.tileOrder,
  };
}

/** RUN_TILING / RUN_FULLSCREEN: the staging registers r0..r63 verbatim. */
export function rawJob(regs: Regs, i: InstructionOf<"RUN_TILING"> | InstructionOf<"RUN_FULLSCREEN">): RawJob {
  return { kind: i.kind === "RUN_TILING" ? "tiling" : "fullscreen", flagsOverride: i.flagsOverride, registers: regs.slice(0, 64) };
}
