import { describe, expect, it } from "vitest";
import { endpointReq } from "../sched/csgProg.ts";
import { heapCtxStride } from "../sched/tilerHeap.ts";
import { fwConvTimeout, PROGRESS_TIMER } from "./fwBoot.ts";

describe("the numbers the driver writes into the firmware interfaces", () => {
  it("converts panthor's hysteresis times to GLB timer units of 1024 arch-timer ticks, rounded up (panthor_fw_conv_timeout)", () => {
    // 24 MHz system counter: 10 000 µs → 234.4 → 235; 800 µs → 18.75 → 19
    expect(fwConvTimeout(10_000, 24_000_000, 300_000_000)).toBe(235);
    expect(fwConvTimeout(800, 24_000_000, 300_000_000)).toBe(19);
    // no arch timer: the GPU cycle counter, flagged in bit 31
    expect(fwConvTimeout(800, 0, 300_000_000)).toBe((0x8000_0000 + 235) >>> 0);
    expect(PROGRESS_TIMER).toBe(2_560_000);
  });

  it("packs endpoint_req: max compute, fragment and tiler cores and the CSG priority in bits 31:28", () => {
    expect(endpointReq({ maxComputeCores: 4, maxFragmentCores: 4, maxTilerCores: 1 }, 15)).toBe(0xf001_0404);
    expect(endpointReq({ maxComputeCores: 1, maxFragmentCores: 2, maxTilerCores: 1 }, 0)).toBe(0x0001_0201);
  });

  it("strides heap contexts by 32 bytes rounded up to the L2 line (64 bytes on G610)", () => {
    expect(heapCtxStride(0x0712_0306)).toBe(64);
    expect(heapCtxStride(0x05)).toBe(32);
  });
});
