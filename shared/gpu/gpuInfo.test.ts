import { describe, expect, it } from "vitest";
import {
  CSIF_INFO_MIN_SIZE,
  CSIF_INFO_SIZE,
  DRM_PANTHOR_GPU_INFO,
  GPU_INFO_MIN_SIZE,
  GPU_INFO_SIZE,
  csifInfoFromFirmware,
  encodeCsifInfo,
  encodeGpuInfo,
  readGpuInfo,
  type RegisterRead,
} from "./gpuInfo.ts";
import { idRegisterValues } from "./idRegisters.ts";
import { loadGpuModel } from "./loadModel.ts";
import { GPU_COHERENCY, registerName } from "./registers.ts";
import { decodeStruct } from "./structLayout.ts";

const g610 = loadGpuModel("mali-g610-rk3588");

/** A register file answering from the model, recording each read like the event log would. */
function recordingReader(values: ReadonlyMap<number, number>): { read: RegisterRead; log: string[] } {
  const log: string[] = [];
  return { log, read: (off) => (log.push(registerName(off)), values.get(off) ?? 0) };
}

describe("drm_panthor_gpu_info", () => {
  it("has the kernel's layout: 112 bytes, 96 mandatory, u64 masks 8-aligned", () => {
    expect(GPU_INFO_SIZE).toBe(112);
    expect(GPU_INFO_MIN_SIZE).toBe(96);
    expect(DRM_PANTHOR_GPU_INFO.offsets.texture_features).toBe(48);
    expect(DRM_PANTHOR_GPU_INFO.offsets.as_present).toBe(64);
    expect(DRM_PANTHOR_GPU_INFO.offsets.selected_coherency).toBe(68);
    expect(DRM_PANTHOR_GPU_INFO.offsets.shader_present).toBe(72);
    expect(DRM_PANTHOR_GPU_INFO.offsets.core_features).toBe(96);
    expect(DRM_PANTHOR_GPU_INFO.offsets.gpu_features).toBe(104);
  });

  it("is filled from register reads with the G610's boot-log values", () => {
    const { read, log } = recordingReader(idRegisterValues(g610));
    const info = readGpuInfo(read);
    expect(info).toMatchObject({
      gpu_id: 0xa8670005,
      l2_features: 0x07120306,
      tiler_features: 0x809,
      mem_features: 0x301,
      mmu_features: 0x2830,
      as_present: 0xff,
      shader_present: 0x50005,
      l2_present: 0x1,
      tiler_present: 0x1,
      selected_coherency: GPU_COHERENCY.NONE,
      pad: 0,
    });
    expect(info.texture_features).toHaveLength(4);
    expect(log.slice(0, 3)).toEqual(["GPU_ID", "GPU_CSF_ID", "GPU_REVID"]);
    expect(log).toContain("GPU_SHADER_PRESENT_HI");
  });

  it("serialises to the exact little-endian kernel bytes", () => {
    const info = readGpuInfo(recordingReader(idRegisterValues(g610)).read);
    const bytes = encodeGpuInfo(info);
    const view = new DataView(bytes);
    expect(bytes.byteLength).toBe(112);
    expect(view.getUint32(0, true)).toBe(0xa8670005);
    expect(view.getUint32(24, true)).toBe(0x2830);
    expect(view.getBigUint64(72, true)).toBe(0x50005n);
    expect(view.getUint32(68, true)).toBe(31);
    expect(decodeStruct(DRM_PANTHOR_GPU_INFO, bytes)).toEqual(info);
  });

  it("combines LO/HI words of 64-bit registers", () => {
    const values = new Map(idRegisterValues(g610));
    values.set(0x104, 0x3);
    const info = readGpuInfo((off) => values.get(off) ?? 0);
    expect(info.shader_present).toBe(0x3_0005_0005);
  });

  it("reflects the smaller model, proving nothing is hard-coded", () => {
    const info = readGpuInfo((off) => idRegisterValues(loadGpuModel("mali-g310-small")).get(off) ?? 0);
    expect(info).toMatchObject({ gpu_id: 0xac740001, shader_present: 0x3, as_present: 0xf });
  });
});

describe("drm_panthor_csif_info", () => {
  it("is 24 bytes, all mandatory", () => {
    expect(CSIF_INFO_SIZE).toBe(24);
    expect(CSIF_INFO_MIN_SIZE).toBe(24);
  });

  it("reports the firmware's counts with the CSG slot count clamped to 16", () => {
    const fw = g610.firmware;
    const info = csifInfoFromFirmware({
      group_num: fw.csg_slot_count,
      stream_num: fw.cs_per_csg,
      cs_reg_count: fw.cs_reg_count,
      scoreboard_slot_count: fw.scoreboard_slot_count,
    });
    expect(info).toEqual({ csg_slot_count: 8, cs_slot_count: 8, cs_reg_count: 96, scoreboard_slot_count: 8, unpreserved_cs_reg_count: 4, pad: 0 });
    expect(csifInfoFromFirmware({ group_num: 31, stream_num: 8, cs_reg_count: 96, scoreboard_slot_count: 8 }).csg_slot_count).toBe(16);
    expect(new DataView(encodeCsifInfo(info)).getUint32(16, true)).toBe(4);
  });
});
