import type { GpuModel } from "./model.ts";
import { encodeGpuId } from "./model.ts";
import { GPU_CONTROL as R } from "./registers.ts";

/** Low 32 bits of a (≤ 2^53) 64-bit value, for the `_LO` register word. */
export const lo32 = (v: number): number => v >>> 0;

/** High 32 bits of a (≤ 2^53) 64-bit value, for the `_HI` register word. */
export const hi32 = (v: number): number => Math.floor(v / 2 ** 32) >>> 0;

/**
 * The read-only identification and feature registers of a model, as the hardware presents them
 * from reset: offset → 32-bit value. The simulated GPU seeds its register file from this; the
 * driver discovers the same facts only by reading these offsets (`panthor_gpu_init_info()`).
 */
export function idRegisterValues(model: GpuModel): ReadonlyMap<number, number> {
  const f = model.features;
  const p = model.present;
  const tex = f.texture_features;
  return new Map<number, number>([
    [R.GPU_ID, encodeGpuId(model.gpu_id)],
    [R.GPU_L2_FEATURES, f.l2_features],
    [R.GPU_CORE_FEATURES, f.core_features],
    [R.GPU_TILER_FEATURES, f.tiler_features],
    [R.GPU_MEM_FEATURES, f.mem_features],
    [R.GPU_MMU_FEATURES, f.mmu_features],
    [R.GPU_AS_PRESENT, p.as_present],
    [R.GPU_CSF_ID, f.csf_id],
    [R.GPU_FEATURES_LO, lo32(f.gpu_features)],
    [R.GPU_FEATURES_HI, hi32(f.gpu_features)],
    [R.GPU_THREAD_MAX_THREADS, f.thread_max_threads],
    [R.GPU_THREAD_MAX_WORKGROUP_SIZE, f.thread_max_workgroup_size],
    [R.GPU_THREAD_MAX_BARRIER_SIZE, f.thread_max_barrier_size],
    [R.GPU_THREAD_FEATURES, f.thread_features],
    [R.GPU_TEXTURE_FEATURES_0, tex[0] ?? 0],
    [R.GPU_TEXTURE_FEATURES_1, tex[1] ?? 0],
    [R.GPU_TEXTURE_FEATURES_2, tex[2] ?? 0],
    [R.GPU_TEXTURE_FEATURES_3, tex[3] ?? 0],
    [R.GPU_SHADER_PRESENT_LO, lo32(p.shader_present)],
    [R.GPU_SHADER_PRESENT_HI, hi32(p.shader_present)],
    [R.GPU_TILER_PRESENT_LO, lo32(p.tiler_present)],
    [R.GPU_TILER_PRESENT_HI, hi32(p.tiler_present)],
    [R.GPU_L2_PRESENT_LO, lo32(p.l2_present)],
    [R.GPU_L2_PRESENT_HI, hi32(p.l2_present)],
    [R.GPU_REVID, model.gpu_rev],
    [R.GPU_COHERENCY_FEATURES, f.coherency_features],
  ]);
}
