import { z } from "zod";

/**
 * Schema of a GPU model file (`shared/gpu/models/*.yaml`): everything the simulated hardware
 * needs to answer register reads, boot its firmware, power its domains and account energy.
 * Field names follow the kernel's spelling (`shader_present`, `l2_features`, `csg_slot_count`)
 * so a model file reads like a panthor boot log. Values are raw register contents; decoding
 * them is the driver's business, exactly as on hardware.
 *
 * The schema checks structure and ranges only. Limits the *driver* enforces (at least 3 CSG
 * slots, 8 streams per CSG, 2 address spaces — `panthor_fw.c`) are left to the driver model,
 * so a deliberately broken model can exercise its error paths.
 */

const u32 = z.number().int().min(0).max(0xffff_ffff);
/** 64-bit registers and sizes, kept as JSON numbers: must stay below 2^53. */
const u64 = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const nonZeroMask = u64.refine((v) => v !== 0, { message: "mask must have at least one bit set" });
const nibble = z.number().int().min(0).max(0xf);
const ns = z.number().int().min(0);

/** GPU_ID fields (`GPU_ARCH_MAJOR()` … `GPU_VER_STATUS()` in panthor_regs.h). */
export const GpuIdSchema = z.strictObject({
  arch_major: nibble,
  arch_minor: nibble,
  arch_rev: nibble,
  product_major: nibble,
  version_major: nibble,
  version_minor: z.number().int().min(0).max(0xff),
  version_status: nibble,
});

/** The decoded GPU_ID register. */
export type GpuId = z.infer<typeof GpuIdSchema>;

/** One operating performance point, as a DT `opp-hz` / `opp-microvolt` pair. */
export const OppSchema = z.strictObject({
  hz: z.number().int().positive(),
  microvolt: z.number().int().positive(),
});

/** An operating performance point. */
export type Opp = z.infer<typeof OppSchema>;

/**
 * Energy coefficients of one power domain, per powered unit (one shader core, one tiler, one
 * L2): leakage at the nominal voltage, and the DT `dynamic-power-coefficient` share in
 * µW/MHz/V², so that dynamic mW = coefficient × V² × MHz × utilisation / 1000 (the formula
 * `devfreq_cooling_em_register()` uses for the energy model).
 */
export const DomainEnergySchema = z.strictObject({
  static_mw: z.number().nonnegative(),
  dynamic_uw_per_mhz_v2: z.number().nonnegative(),
});

/** A clock or regulator the probe requests by its DT name; optional ones may be missing. */
export const SupplySchema = z.strictObject({ name: z.string().min(1), optional: z.boolean().default(false) });

const sortedOpps = z
  .array(OppSchema)
  .min(1)
  .superRefine((opps, ctx) => {
    for (let i = 1; i < opps.length; i++) {
      if (opps[i]!.hz <= opps[i - 1]!.hz) {
        ctx.addIssue({ code: "custom", path: [i, "hz"], message: "OPPs must be sorted by strictly increasing hz" });
      }
    }
  });

/** The schema of a GPU model file; see the module comment. */
export const GpuModelSchema = z.strictObject({
  /** Model id, also the file name without `.yaml`. */
  name: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, "lowercase letters, digits, '.' and '-' only"),
  description: z.string().default(""),
  /** DT compatible strings, most specific first (`rockchip,rk3588-mali`, `arm,mali-valhall-csf`). */
  compatible: z.array(z.string().min(1)).min(1),
  gpu_id: GpuIdSchema,
  /** REVIDR (`GPU_REVID`), reported as `gpu_info.gpu_rev`. */
  gpu_rev: u32,
  /** Read-only feature registers, raw values. */
  features: z.strictObject({
    l2_features: u32,
    core_features: u32,
    tiler_features: u32,
    mem_features: u32,
    mmu_features: u32,
    thread_features: u32,
    thread_max_threads: u32,
    thread_max_workgroup_size: u32,
    thread_max_barrier_size: u32,
    texture_features: z.array(u32).length(4),
    csf_id: u32,
    coherency_features: u32,
    gpu_features: u64,
  }),
  /** The *_PRESENT masks and AS_PRESENT. */
  present: z.strictObject({
    shader_present: nonZeroMask,
    tiler_present: nonZeroMask,
    l2_present: nonZeroMask,
    as_present: u32.refine((v) => v !== 0, { message: "mask must have at least one bit set" }),
  }),
  /** What the CSF firmware reports in its global/CSG/CS interface blocks. */
  firmware: z.strictObject({
    /** Path under /lib/firmware, e.g. `arm/mali/arch10.8/mali_csffw.bin`. */
    path: z.string().min(1),
    interface_version: z.strictObject({
      major: z.number().int().min(0).max(0xff),
      minor: z.number().int().min(0).max(0xff),
      patch: z.number().int().min(0).max(0xffff),
    }),
    features: u32,
    instr_features: u32,
    /** GLB `group_num`: CSG slots the firmware exposes (MAX_CSGS = 31). */
    csg_slot_count: z.number().int().min(1).max(31),
    /** CSG `stream_num`: CS slots per CSG (MAX_CS_PER_CSG = 32). */
    cs_per_csg: z.number().int().min(1).max(32),
    /** Work registers per CS (CS features bits [7:0] + 1). */
    cs_reg_count: z.number().int().min(1).max(256),
    /** Scoreboard slots per CS (CS features bits [15:8]). */
    scoreboard_slot_count: z.number().int().min(1).max(255),
  }),
  /** Where the SoC maps the GPU and its three interrupt lines (GIC SPI numbers). */
  mmio: z.strictObject({
    base: u64,
    size: u32,
    irqs: z.strictObject({ job: u32, mmu: u32, gpu: u32 }),
  }),
  /** System RAM shared by CPU and GPU (no VRAM on these SoCs). */
  memory: z.strictObject({ system_ram_bytes: u64.refine((v) => v > 0 && v % 4096 === 0, "a positive multiple of 4096") }),
  /** Transition latencies of the simulated power controller, in ns. */
  power: z.strictObject({
    l2_power_up_ns: ns,
    l2_power_down_ns: ns,
    tiler_power_up_ns: ns,
    tiler_power_down_ns: ns,
    shader_power_up_ns: ns,
    shader_power_down_ns: ns,
    soft_reset_ns: ns,
    cache_flush_ns: ns,
  }),
  /** The OPP table, sorted by increasing frequency (as `dev_pm_opp` keeps it). */
  opp_table: sortedOpps,
  energy: z.strictObject({
    /** Voltage at which `static_mw` was characterised. */
    nominal_microvolt: z.number().int().positive(),
    domains: z.strictObject({ l2: DomainEnergySchema, tiler: DomainEnergySchema, shader: DomainEnergySchema }),
  }),
  /** Supplies by DT supply name (`mali-supply`, `sram-supply`). */
  regulators: z.array(SupplySchema),
  /** Clocks by DT clock-names (`core`, `coregroup`, `stacks`). */
  clocks: z.array(SupplySchema).min(1),
  /** Frequency of the GPU timestamp counter (the SoC's system counter). */
  timestamp_frequency_hz: z.number().int().positive(),
});

/** A validated GPU model; defaults applied. */
export type GpuModel = z.infer<typeof GpuModelSchema>;

/**
 * The GPU_ID register value for decoded fields: arch major [31:28], arch minor [27:24],
 * arch rev [23:20], product major [19:16], version major [15:12], version minor [11:4],
 * version status [3:0] (panthor_regs.h).
 *
 * @example encodeGpuId({ arch_major: 10, arch_minor: 8, arch_rev: 6, product_major: 7,
 *   version_major: 0, version_minor: 0, version_status: 5 }) // 0xa8670005
 */
export function encodeGpuId(id: GpuId): number {
  return (
    ((id.arch_major << 28) |
      (id.arch_minor << 24) |
      (id.arch_rev << 20) |
      (id.product_major << 16) |
      (id.version_major << 12) |
      (id.version_minor << 4) |
      id.version_status) >>>
    0
  );
}

/** Decode GPU_ID into its fields, as `GPU_ARCH_MAJOR(x)` … `GPU_VER_STATUS(x)`. */
export function decodeGpuId(value: number): GpuId {
  return {
    arch_major: value >>> 28,
    arch_minor: (value >>> 24) & 0xf,
    arch_rev: (value >>> 20) & 0xf,
    product_major: (value >>> 16) & 0xf,
    version_major: (value >>> 12) & 0xf,
    version_minor: (value >>> 4) & 0xff,
    version_status: value & 0xf,
  };
}

/** Product id as panthor prints it ("id 0xa867"): `gpu_id >> 16`. */
export const productId = (gpuId: number): number => gpuId >>> 16;

/** Number of bits set in a mask (shader cores, address spaces…), up to 2^53. */
export function popcount(mask: number): number {
  let n = 0;
  for (let m = mask; m > 0; m = Math.floor(m / 2)) n += m % 2;
  return n;
}
