import { describe, expect, it } from "vitest";
import { allocKernelVa, freeKernelVa, KERNEL_OBJ_BASE, KernelPagePool, reserveKernelVa, type KernelVaSpace } from "./kernelBo.ts";

describe("kernel BO placement and pages", () => {
  it("places kernel VAs first fit in the kernel section, around fixed ranges, and reuses freed ones", () => {
    const space: KernelVaSpace = { start: 0x10_0000, end: 0x20_0000, used: [] };
    expect(reserveKernelVa(space, 0x10_0000, 0x3000)).toBe(true);
    expect(allocKernelVa(space, 0x2000)).toBe(0x10_3000);
    expect(allocKernelVa(space, 0x1000, 0x4000)).toBe(0x10_8000);
    expect(allocKernelVa(space, 0x1000)).toBe(0x10_5000);
    freeKernelVa(space, 0x10_3000);
    expect(allocKernelVa(space, 0x1000)).toBe(0x10_3000);
    expect(allocKernelVa(space, 0x10_0000)).toBeUndefined();
    // a fixed range outside the section is not recorded
    expect(reserveKernelVa(space, 0x30_0000, 0x1000)).toBe(false);
  });

  it("hands out carve-out frames above its first MiB, lowest first, under ids no GEM object has", () => {
    const pool = new KernelPagePool(4 * 1024 * 1024);
    const a = pool.take(2)!;
    const b = pool.take(1)!;
    expect(a).toEqual({ obj: KERNEL_OBJ_BASE, frames: [256, 257] });
    expect(b.frames).toEqual([258]);
    pool.give(a.obj);
    expect(pool.take(1)!.frames).toEqual([256]);
    expect(pool.take(10_000)).toBeUndefined();
    expect(pool.framesOf(b.obj)).toEqual([258]);
  });
});
