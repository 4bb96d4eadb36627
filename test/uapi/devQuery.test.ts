import { describe, expect, it } from "vitest";
import { DRM_PANTHOR_DEV_QUERY, DRM_PANTHOR_TIMESTAMP_INFO } from "../../services/driver/uapi/devQuery.ts";
import { decodeBytes } from "../../services/memory/memoryWrites.ts";
import { neg } from "../../services/workload/drmClient.ts";
import { CSIF_INFO_SIZE, DRM_PANTHOR_CSIF_INFO, DRM_PANTHOR_GPU_INFO, GPU_INFO_MIN_SIZE, GPU_INFO_SIZE } from "../../shared/gpu/gpuInfo.ts";
import { decodeStruct } from "../../shared/gpu/structLayout.ts";
import { bootDrmDevice, G610 } from "../support/drmDevice.ts";

const Q = DRM_PANTHOR_DEV_QUERY;
const bytesOf = (out: Readonly<Record<string, unknown>>) => decodeBytes(out.data as string);

describe("DEV_QUERY (panthor.md §1.3)", () => {
  const dev = bootDrmDevice();
  const f = dev.open("app");

  it("tells the struct size when pointer is NULL, for every query type", () => {
    expect(f.ioctl("DEV_QUERY", { type: Q.GPU_INFO, size: 0, pointer: 0 })).toEqual({ ret: 0, out: { size: GPU_INFO_SIZE } });
    expect(f.ioctl("DEV_QUERY", { type: Q.CSIF_INFO }).out).toEqual({ size: CSIF_INFO_SIZE });
    expect(f.ioctl("DEV_QUERY", { type: Q.TIMESTAMP_INFO }).out).toEqual({ size: 24 });
    expect(f.ioctl("DEV_QUERY", { type: Q.GROUP_PRIORITIES_INFO }).out).toEqual({ size: 4 });
  });

  it("copies the GPU info probe read, byte for byte in the kernel layout", () => {
    const r = f.ioctl("DEV_QUERY", { type: Q.GPU_INFO, size: GPU_INFO_SIZE, pointer: 0x1000 });
    expect(r.ret).toBe(0);
    const info = decodeStruct(DRM_PANTHOR_GPU_INFO, bytesOf(r.out).slice().buffer);
    expect(info).toMatchObject({ gpu_id: 0xa8670005, shader_present: G610.present.shader_present, as_present: 0xff });
    expect(r.out.cleared).toBe(0);
  });

  it("negotiates sizes: below the minimum -EINVAL, the minimum copies that much, larger zero-fills the rest", () => {
    expect(f.ioctl("DEV_QUERY", { type: Q.GPU_INFO, size: GPU_INFO_MIN_SIZE - 1, pointer: 0x1000 }).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("DEV_QUERY", { type: Q.GPU_INFO, size: 0, pointer: 0x1000 }).ret).toBe(neg("EINVAL"));
    const min = f.ioctl("DEV_QUERY", { type: Q.GPU_INFO, size: GPU_INFO_MIN_SIZE, pointer: 0x1000 });
    expect(bytesOf(min.out)).toHaveLength(GPU_INFO_MIN_SIZE);
    const big = f.ioctl("DEV_QUERY", { type: Q.GPU_INFO, size: 4096, pointer: 0x1000 });
    expect(big.out).toMatchObject({ cleared: 4096 - GPU_INFO_SIZE });
    expect(bytesOf(big.out)).toHaveLength(GPU_INFO_SIZE);
  });

  it("answers CSIF_INFO with the firmware's counts and 4 unpreserved registers", () => {
    const r = f.ioctl("DEV_QUERY", { type: Q.CSIF_INFO, size: CSIF_INFO_SIZE, pointer: 1 });
    const info = decodeStruct(DRM_PANTHOR_CSIF_INFO, bytesOf(r.out).slice().buffer);
    expect(info).toMatchObject({ csg_slot_count: G610.firmware.csg_slot_count, cs_slot_count: G610.firmware.cs_per_csg, unpreserved_cs_reg_count: 4 });
  });

  it("reads the GPU timestamp through the registers for TIMESTAMP_INFO", () => {
    const r = f.ioctl("DEV_QUERY", { type: Q.TIMESTAMP_INFO, size: 24, pointer: 1 });
    const ts = decodeStruct(DRM_PANTHOR_TIMESTAMP_INFO, bytesOf(r.out).slice().buffer);
    expect(ts.timestamp_frequency).toBe(G610.timestamp_frequency_hz);
    expect(ts.current_timestamp).toBeGreaterThan(0);
    expect(dev.events("MmioReadCompleted").some((e) => (e.payload as { name: string }).name === "GPU_TIMESTAMP_LO")).toBe(true);
    expect(f.ioctl("DEV_QUERY", { type: Q.TIMESTAMP_INFO, size: 15, pointer: 1 }).ret).toBe(neg("EINVAL"));
  });

  it("refuses unknown types with -EINVAL and a faulting pointer with -EFAULT", () => {
    expect(f.ioctl("DEV_QUERY", { type: 4, size: 8, pointer: 1 }).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("DEV_QUERY", { type: 99 }).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("DEV_QUERY", { type: Q.GPU_INFO, size: GPU_INFO_SIZE, pointer: "bad" }).ret).toBe(neg("EFAULT"));
    expect(f.ioctl("DEV_QUERY", { type: -1 }).ret).toBe(neg("EINVAL"));
  });
});
