import { GPU_COHERENCY } from "./registerFields.ts";
import { GPU_CONTROL as R } from "./registers.ts";
import { defineStruct, encodeStruct, fieldEnd, type StructOf } from "./structLayout.ts";

/**
 * `struct drm_panthor_gpu_info` (include/uapi/drm/panthor_drm.h, newest layout): fields in header
 * order. `selected_coherency` was `pad0` before driver 1.7; `gpu_features` was appended later.
 * Offsets: texture_features 48, as_present 64, shader_present 72, core_features 96; size 112.
 */
export const DRM_PANTHOR_GPU_INFO = defineStruct("drm_panthor_gpu_info", [
  { name: "gpu_id", type: "u32" },
  { name: "gpu_rev", type: "u32" },
  { name: "csf_id", type: "u32" },
  { name: "l2_features", type: "u32" },
  { name: "tiler_features", type: "u32" },
  { name: "mem_features", type: "u32" },
  { name: "mmu_features", type: "u32" },
  { name: "thread_features", type: "u32" },
  { name: "max_threads", type: "u32" },
  { name: "thread_max_workgroup_size", type: "u32" },
  { name: "thread_max_barrier_size", type: "u32" },
  { name: "coherency_features", type: "u32" },
  { name: "texture_features", type: "u32", count: 4 },
  { name: "as_present", type: "u32" },
  { name: "selected_coherency", type: "u32" },
  { name: "shader_present", type: "u64" },
  { name: "l2_present", type: "u64" },
  { name: "tiler_present", type: "u64" },
  { name: "core_features", type: "u32" },
  { name: "pad", type: "u32" },
  { name: "gpu_features", type: "u64" },
] as const);

/** The DEV_QUERY GPU_INFO answer as plain data (u64 fields as numbers < 2^53). */
export type DrmPanthorGpuInfo = StructOf<typeof DRM_PANTHOR_GPU_INFO.fields>;

/** `sizeof(struct drm_panthor_gpu_info)`: what DEV_QUERY reports when `pointer == 0`. */
export const GPU_INFO_SIZE = DRM_PANTHOR_GPU_INFO.size;

/** Smallest `size` DEV_QUERY accepts: `PANTHOR_UOBJ_DECL(struct drm_panthor_gpu_info, tiler_present)`. */
export const GPU_INFO_MIN_SIZE = fieldEnd(DRM_PANTHOR_GPU_INFO, "tiler_present");

/** A 32-bit MMIO read, `gpu_read(ptdev, offset)`; in the simulator each call is a register-read event. */
export type RegisterRead = (offset: number) => number;

/** `gpu_read64()`: LO word then HI word. */
export function read64(read: RegisterRead, loOffset: number): number {
  const lo = read(loOffset) >>> 0;
  const hi = read(loOffset + 4) >>> 0;
  const v = hi * 2 ** 32 + lo;
  if (!Number.isSafeInteger(v)) throw new RangeError(`64-bit register at 0x${loOffset.toString(16)} exceeds 2^53`);
  return v;
}

/** Driver-side choices that land in gpu_info but are not register contents. */
export interface GpuInfoOptions {
  /** `GPU_COHERENCY.*` chosen at probe; NONE on RK3588 (its GPU node is not dma-coherent). */
  readonly selectedCoherency?: number;
}

/**
 * Build `drm_panthor_gpu_info` from register reads, in the order `panthor_gpu_init_info()` reads
 * them (GPU_ID, CSF_ID, REVID, features, thread, coherency, texture, AS_PRESENT, *_PRESENT,
 * GPU_FEATURES), so the event log of a probe matches the kernel's MMIO trace. Tyr's
 * `GpuInfo::new()` reads the same registers into the same layout.
 */
export function readGpuInfo(read: RegisterRead, opts: GpuInfoOptions = {}): DrmPanthorGpuInfo {
  const gpu_id = read(R.GPU_ID) >>> 0;
  const csf_id = read(R.GPU_CSF_ID) >>> 0;
  const gpu_rev = read(R.GPU_REVID) >>> 0;
  const core_features = read(R.GPU_CORE_FEATURES) >>> 0;
  const l2_features = read(R.GPU_L2_FEATURES) >>> 0;
  const tiler_features = read(R.GPU_TILER_FEATURES) >>> 0;
  const mem_features = read(R.GPU_MEM_FEATURES) >>> 0;
  const mmu_features = read(R.GPU_MMU_FEATURES) >>> 0;
  const thread_features = read(R.GPU_THREAD_FEATURES) >>> 0;
  const max_threads = read(R.GPU_THREAD_MAX_THREADS) >>> 0;
  const thread_max_workgroup_size = read(R.GPU_THREAD_MAX_WORKGROUP_SIZE) >>> 0;
  const thread_max_barrier_size = read(R.GPU_THREAD_MAX_BARRIER_SIZE) >>> 0;
  const coherency_features = read(R.GPU_COHERENCY_FEATURES) >>> 0;
  const texture_features = [0, 1, 2, 3].map((i) => read(R.GPU_TEXTURE_FEATURES_0 + 4 * i) >>> 0);
  const as_present = read(R.GPU_AS_PRESENT) >>> 0;
  const shader_present = read64(read, R.GPU_SHADER_PRESENT_LO);
  const tiler_present = read64(read, R.GPU_TILER_PRESENT_LO);
  const l2_present = read64(read, R.GPU_L2_PRESENT_LO);
  const gpu_features = read64(read, R.GPU_FEATURES_LO);
  return {
    gpu_id,
    gpu_rev,
    csf_id,
    l2_features,
    tiler_features,
    mem_features,
    mmu_features,
    thread_features,
    max_threads,
    thread_max_workgroup_size,
    thread_max_barrier_size,
    coherency_features,
    texture_features,
    as_present,
    selected_coherency: opts.selectedCoherency ?? GPU_COHERENCY.NONE,
    shader_present,
    l2_present,
    tiler_present,
    core_features,
    pad: 0,
    gpu_features,
  };
}

/** The exact kernel bytes of gpu_info (little-endian, implicit padding zeroed) for DEV_QUERY copies. */
export function encodeGpuInfo(info: DrmPanthorGpuInfo): ArrayBuffer {
  return encodeStruct(DRM_PANTHOR_GPU_INFO, info);
}

/** `struct drm_panthor_csif_info` (panthor_drm.h): 6 × u32, 24 bytes. */
export const DRM_PANTHOR_CSIF_INFO = defineStruct("drm_panthor_csif_info", [
  { name: "csg_slot_count", type: "u32" },
  { name: "cs_slot_count", type: "u32" },
  { name: "cs_reg_count", type: "u32" },
  { name: "scoreboard_slot_count", type: "u32" },
  { name: "unpreserved_cs_reg_count", type: "u32" },
  { name: "pad", type: "u32" },
] as const);

/** The DEV_QUERY CSIF_INFO answer as plain data. */
export type DrmPanthorCsifInfo = StructOf<typeof DRM_PANTHOR_CSIF_INFO.fields>;

/** `sizeof(struct drm_panthor_csif_info)`. */
export const CSIF_INFO_SIZE = DRM_PANTHOR_CSIF_INFO.size;

/** Smallest accepted size: `PANTHOR_UOBJ_DECL(struct drm_panthor_csif_info, pad)` (the whole struct). */
export const CSIF_INFO_MIN_SIZE = fieldEnd(DRM_PANTHOR_CSIF_INFO, "pad");

/** Most CSG slots a firmware may expose (`MAX_CSGS`, panthor_fw.h). */
export const MAX_CSGS = 31;

/** Highest CSG priority (`MAX_CSG_PRIO`, panthor_sched.c): resident groups get distinct ones, so ≤ 16 slots are used. */
export const MAX_CSG_PRIO = 15;

/** Registers the kernel's job epilogue clobbers (panthor_sched.c reports 4). */
export const UNPRESERVED_CS_REG_COUNT = 4;

/** What the firmware's interface blocks report (GLB `group_num`, CSG `stream_num`, CS features). */
export interface FirmwareInterfaceCounts {
  readonly group_num: number;
  readonly stream_num: number;
  readonly cs_reg_count: number;
  readonly scoreboard_slot_count: number;
}

/**
 * csif_info as panthor fills it: `csg_slot_count = min(group_num, MAX_CSGS, MAX_CSG_PRIO + 1)`
 * (`panthor_sched_init()`), the other counts from the CS interface, 4 unpreserved registers.
 */
export function csifInfoFromFirmware(fw: FirmwareInterfaceCounts): DrmPanthorCsifInfo {
  return {
    csg_slot_count: Math.min(fw.group_num, MAX_CSGS, MAX_CSG_PRIO + 1),
    cs_slot_count: fw.stream_num,
    cs_reg_count: fw.cs_reg_count,
    scoreboard_slot_count: fw.scoreboard_slot_count,
    unpreserved_cs_reg_count: UNPRESERVED_CS_REG_COUNT,
    pad: 0,
  };
}

/** The exact kernel bytes of csif_info. */
export function encodeCsifInfo(info: DrmPanthorCsifInfo): ArrayBuffer {
  return encodeStruct(DRM_PANTHOR_CSIF_INFO, info);
}
