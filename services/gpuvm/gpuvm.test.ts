import { describe, expect, it } from "vitest";
import {
  createGpuVm, findFirst, findNext, findPrev, findVa, insertVa, intervalEmpty, rangeValid, removeVa, userVas, type GpuVm,
} from "./gpuvm.ts";
import { smMap, smMapSteps, smUnmap, smUnmapSteps } from "./splitMerge.ts";

// kernel-tests.md §1.1: mm_start 0x100000, mm_range 0x1000000 (mm_end 0x1100000), kernel node [0x100000, 0x101000)
const vm = createGpuVm({ mmStart: 0x100000, mmRange: 0x1000000, reserveOffset: 0x100000, reserveRange: 0x1000 });
const ok = () => 0;
const allSteps = { stepMap: ok, stepRemap: ok, stepUnmap: ok };

function mustInsert(v: GpuVm, addr: number, range: number): GpuVm {
  const r = insertVa(v, { addr, range, obj: null, offset: 0, flags: 0 });
  if (!r.ok) throw new Error(r.errno);
  return r.vm;
}

describe("drm_gpuvm_range_valid (kernel-tests.md §1.1)", () => {
  it("GPUVM-V01: accepts a range just above the kernel node", () => {
    expect(rangeValid(vm, 0x101000, 0x1000)).toBe(true);
  });

  it("GPUVM-V02: rejects exactly the kernel node, and sm_map, sm_unmap and insert return -EINVAL", () => {
    expect(rangeValid(vm, 0x100000, 0x1000)).toBe(false);
    expect(smMap(vm, { addr: 0x100000, range: 0x1000, obj: 1, offset: 0 })).toEqual({ ok: false, errno: "EINVAL" });
    expect(smUnmap(vm, 0x100000, 0x1000)).toEqual({ ok: false, errno: "EINVAL" });
    expect(insertVa(vm, { addr: 0x100000, range: 0x1000, obj: null, offset: 0, flags: 0 })).toEqual({ ok: false, errno: "EINVAL" });
  });

  it("GPUVM-V03: rejects a range partly overlapping the kernel node", () => {
    expect(rangeValid(vm, 0x100800, 0x1000)).toBe(false);
  });

  it("GPUVM-V04: rejects a range below mm_start", () => {
    expect(rangeValid(vm, 0x0, 0x1000)).toBe(false);
  });

  it("GPUVM-V05: accepts a range ending exactly at mm_end", () => {
    expect(rangeValid(vm, 0x10ff000, 0x1000)).toBe(true);
  });

  it("GPUVM-V06: rejects a range past mm_end", () => {
    expect(rangeValid(vm, 0x10ff000, 0x2000)).toBe(false);
  });

  it("GPUVM-V07: rejects a range whose end overflows u64", () => {
    expect(rangeValid(vm, 0xffff_ffff_ffff_f000, 0x2000)).toBe(false);
  });

  it("GPUVM-V08: without a reserve range there is no kernel node and mm_start itself is valid", () => {
    const plain = createGpuVm({ mmStart: 0x100000, mmRange: 0x1000000 });
    expect(plain.vas).toEqual([]);
    expect(plain.kernelNode.range).toBe(0);
    expect(rangeValid(plain, 0x100000, 0x1000)).toBe(true);
  });

  it("rejects negative and fractional arguments, which are not u64 values", () => {
    expect(rangeValid(vm, -0x1000, 0x1000)).toBe(false);
    expect(rangeValid(vm, 0x101000, 0.5)).toBe(false);
  });
});

describe("VA tree insert, remove and lookup (kernel-tests.md §1.1)", () => {
  it("GPUVM-V09: inserting a VA that overlaps an existing one returns -EEXIST and leaves the tree unchanged", () => {
    const given = mustInsert(vm, 0x200000, 0x2000);
    const r = insertVa(given, { addr: 0x201000, range: 0x2000, obj: null, offset: 0, flags: 0 });
    expect(r).toEqual({ ok: false, errno: "EEXIST" });
    expect(userVas(given).map((v) => [v.addr, v.range])).toEqual([[0x200000, 0x2000]]);
  });

  it("GPUVM-V10: removing the kernel-reserved node WARNs and keeps it", () => {
    const r = removeVa(vm, 0);
    expect(r.warning).toMatch(/kernel reserved node/);
    expect(r.vm.vas.map((v) => v.id)).toEqual([0]);
  });

  it("GPUVM-V11: find matches exactly, find_first matches any overlap, interval_empty sees the gap after a VA", () => {
    const given = mustInsert(vm, 0x200000, 0x2000);
    expect(findVa(given, 0x200000, 0x1000)).toBeUndefined();
    expect(findVa(given, 0x200000, 0x2000)?.addr).toBe(0x200000);
    expect(findFirst(given, 0x201000, 0x1000)?.addr).toBe(0x200000);
    expect(intervalEmpty(given, 0x202000, 0x1000)).toBe(true);
  });

  it("finds the neighbours of a VA with find_prev and find_next", () => {
    const given = mustInsert(mustInsert(vm, 0x200000, 0x1000), 0x202000, 0x1000);
    expect(findPrev(given, 0x201000)?.addr).toBe(0x200000);
    expect(findNext(given, 0x202000)?.addr).toBe(0x202000);
    expect(findNext(given, 0x203000)).toBeUndefined();
  });

  it("GPUVM-V12: init WARNs when start + range overflows u64, and skips a reserve node that overflows", () => {
    const bad = createGpuVm({ mmStart: 0xffff_ffff_ffff_f000, mmRange: 0x2000, reserveOffset: 0xffff_ffff_ffff_f000, reserveRange: 0x2000 });
    expect(bad.warnings).toHaveLength(2);
    expect(bad.vas).toEqual([]);
    expect(bad.kernelNode.range).toBe(0);
  });
});

describe("step callbacks (kernel-tests.md §1.1 GPUVM-V13, §1.2)", () => {
  it("GPUVM-V13: sm_map without all three steps, or sm_unmap without remap and unmap steps, returns -EINVAL", () => {
    const req = { addr: 0x101000, range: 0x1000, obj: 1, offset: 0 };
    expect(smMapSteps(vm, req, { stepMap: ok, stepRemap: ok })).toBe(-22);
    expect(smMapSteps(vm, req, { stepRemap: ok, stepUnmap: ok })).toBe(-22);
    expect(smMapSteps(vm, req, allSteps)).toBe(0);
    expect(smUnmapSteps(vm, 0x101000, 0x1000, { stepMap: ok, stepRemap: ok })).toBe(-22);
    expect(smUnmapSteps(vm, 0x101000, 0x1000, { stepRemap: ok, stepUnmap: ok })).toBe(0);
  });

  it("stops the walk at the first step that fails and returns its error", () => {
    const given = mustInsert(mustInsert(vm, 0x200000, 0x1000), 0x201000, 0x1000);
    const seen: string[] = [];
    const ret = smMapSteps(given, { addr: 0x200000, range: 0x2000, obj: 1, offset: 0 }, {
      stepMap: () => (seen.push("map"), 0),
      stepRemap: () => (seen.push("remap"), 0),
      stepUnmap: () => (seen.push("unmap"), -12),
    });
    expect(ret).toBe(-12);
    expect(seen).toEqual(["unmap"]);
  });
});
