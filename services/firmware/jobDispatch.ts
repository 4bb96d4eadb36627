import type { PayloadOf } from "../../shared/events/registry.ts";
import type { JobDispatched } from "../shader/shaderEvents.ts";
import type { RunEffect } from "./cs/effects.ts";
import type { ComputeJob, FragmentJob, IdvsJob, ShaderStage } from "./cs/jobs.ts";

/**
 * How the firmware turns a RUN_* (the interpreter's `run` effect, with the staging registers it
 * captured, cs-isa.md §4) into work for tyrsim's shader cores. Real endpoints execute shader
 * code found through the descriptors; tyrsim's cores only need a cost, the VA ranges to
 * translate and a core mask. The convention, derived only from the RUN_* staging registers:
 *
 * | RUN_* | kind | cycles (one core) | ranges read (64 B per descriptor) |
 * |---|---|---|---|
 * | COMPUTE(_INDIRECT) | compute | workgroup size × job size (invocations) × 64 | SPD always; SRT, TSD when non-zero; FAU count × 8 B |
 * | IDVS | vertex | index count × max(1, instance count) × 32 | position SPD always; varying/fragment SPD, tiler context (128 B) when non-zero; index buffer (its size) |
 * | FRAGMENT | fragment | bounding-box area (pixels) × 4 | FBD always; tile-enable map when enabled |
 *
 * Every cost is at least 1 cycle and at most 2^40. The per-unit cycle counts are assumed. A
 * descriptor pointer of 0 that is read "always" makes the job fault on the cores with a
 * translation fault, as a job with a null shader would. RUN_TILING and RUN_FULLSCREEN
 * (decode-only, cs-isa.md §4.4) are not dispatched: they complete at once.
 */

/** Assumed cycles per compute invocation. */
export const CYCLES_PER_INVOCATION = 64;
/** Assumed cycles per vertex (× instance) of an IDVS draw. */
export const CYCLES_PER_VERTEX = 32;
/** Assumed cycles per fragment-job pixel. */
export const CYCLES_PER_PIXEL = 4;
/** Bytes read per descriptor (SPD, SRT, TSD, FBD). */
export const DESCRIPTOR_BYTES = 64;
/** A Valhall tiler context is 128 bytes (cs-isa.md §4.5). */
export const TILER_CONTEXT_BYTES = 128;
const MAX_CYCLES = 2 ** 40;

/** The payload of a `JobDispatched`. */
export type JobDispatch = PayloadOf<typeof JobDispatched>;
type Range = JobDispatch["ranges"][number];

/** Where the job runs: its name, AS, and the core masks the CSG allows (already ANDed with core_en_mask). */
export interface DispatchTarget {
  readonly job: string;
  readonly as: number;
  readonly computeCores: number;
  readonly fragmentCores: number;
}

const cost = (n: number): { cycles: number } => ({ cycles: Math.max(1, Math.min(MAX_CYCLES, Math.floor(n))) });
const read = (va: number, size: number): Range => ({ va, size, access: "read" });
const optional = (va: number, size: number): Range[] => (va !== 0 && size > 0 ? [read(va, size)] : []);

function stageRanges(s: ShaderStage, always: boolean): Range[] {
  return [
    ...(always ? [read(s.spd, DESCRIPTOR_BYTES)] : optional(s.spd, DESCRIPTOR_BYTES)),
    ...optional(s.srt, DESCRIPTOR_BYTES),
    ...optional(s.tsd, DESCRIPTOR_BYTES),
    ...optional(s.fau.address, s.fau.count * 8),
  ];
}

function compute(j: ComputeJob): { kind: "compute"; cycles: number; ranges: Range[] } {
  const wg = j.workgroupSize.x * j.workgroupSize.y * j.workgroupSize.z;
  const size = j.jobSize.x * j.jobSize.y * j.jobSize.z;
  return { kind: "compute", cycles: wg * size * CYCLES_PER_INVOCATION, ranges: stageRanges(j.shader, true) };
}

function idvs(j: IdvsJob): { kind: "vertex"; cycles: number; ranges: Range[] } {
  return {
    kind: "vertex",
    cycles: j.indexCount * Math.max(1, j.instanceCount) * CYCLES_PER_VERTEX,
    ranges: [
      ...stageRanges(j.position, true),
      ...optional(j.varying.spd, DESCRIPTOR_BYTES),
      ...optional(j.fragment.spd, DESCRIPTOR_BYTES),
      ...optional(j.tilerContext, TILER_CONTEXT_BYTES),
      ...optional(j.indexBuffer, j.indexBufferSize),
    ],
  };
}

function fragment(j: FragmentJob): { kind: "fragment"; cycles: number; ranges: Range[] } {
  const w = Math.max(0, j.bboxMax.x - j.bboxMin.x + 1);
  const h = Math.max(0, j.bboxMax.y - j.bboxMin.y + 1);
  return {
    kind: "fragment",
    cycles: w * h * CYCLES_PER_PIXEL,
    ranges: [read(j.fbd.address, DESCRIPTOR_BYTES), ...(j.tileEnableMap !== null ? optional(j.tileEnableMap.address, DESCRIPTOR_BYTES) : [])],
  };
}

/**
 * The `JobDispatched` for a `run` effect, or undefined for RUN_TILING / RUN_FULLSCREEN (not
 * dispatched; the caller completes them at once).
 *
 * @example jobDispatch(run, { job: "csg0.cs0.job1", as: 1, computeCores: 0x50005, fragmentCores: 0x50005 })?.cost // { cycles: 4096 }
 */
export function jobDispatch(run: RunEffect, target: DispatchTarget): JobDispatch | undefined {
  const j = run.job;
  const d = j.kind === "compute" || j.kind === "computeIndirect" ? compute(j) : j.kind === "idvs" ? idvs(j) : j.kind === "fragment" ? fragment(j) : undefined;
  if (d === undefined) return undefined;
  return {
    job: target.job,
    as: target.as,
    kind: d.kind,
    coreMask: (d.kind === "fragment" ? target.fragmentCores : target.computeCores) >>> 0,
    cost: cost(d.cycles),
    ranges: d.ranges,
  };
}
