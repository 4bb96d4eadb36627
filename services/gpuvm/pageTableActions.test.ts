import { describe, expect, it } from "vitest";
import { IOMMU_PROT } from "../mmu/pteFormat.ts";
import { applyOps } from "./applyOps.ts";
import { GpuVmStateError, createGpuVm, type GpuVm } from "./gpuvm.ts";
import type { GpuVaOp } from "./ops.ts";
import { flagsToProt, pageTableActions } from "./pageTableActions.ts";
import { smMap, smUnmap } from "./splitMerge.ts";
import { DRM_PANTHOR_VM_BIND_OP as OP } from "./vmBind.ts";

const PG = 4096;
const RW = IOMMU_PROT.READ | IOMMU_PROT.WRITE | IOMMU_PROT.CACHE;
const FRAMES: Record<number, number[]> = { 1: [100, 101, 102, 200], 2: [7, 8] };
const pagesOf = (obj: number) => FRAMES[obj];

function ops(_vm: GpuVm, r: ReturnType<typeof smMap>): GpuVaOp[] {
  if (!r.ok) throw new Error(r.errno);
  return r.ops;
}

const vm0 = createGpuVm({ mmStart: 0, mmRange: 2 ** 32 });

describe("flags_to_prot", () => {
  it("maps cached read-write by default, READONLY to read only, UNCACHED drops CACHE and NOEXEC adds IOMMU_NOEXEC", () => {
    expect(flagsToProt(0)).toBe(RW);
    expect(flagsToProt(OP.MAP_READONLY)).toBe(IOMMU_PROT.READ | IOMMU_PROT.CACHE);
    expect(flagsToProt(OP.MAP_UNCACHED | OP.MAP_NOEXEC)).toBe(IOMMU_PROT.READ | IOMMU_PROT.WRITE | IOMMU_PROT.NOEXEC);
  });

  it("uses the kernel's IOMMU_* values (include/linux/iommu.h)", () => {
    expect([IOMMU_PROT.READ, IOMMU_PROT.WRITE, IOMMU_PROT.CACHE, IOMMU_PROT.NOEXEC]).toEqual([1, 2, 4, 8]);
  });
});

describe("page-table actions of GPUVM ops (panthor_gpuva_sm_step_*)", () => {
  it("maps a BO as one action per physically contiguous run of its pages", () => {
    const o = ops(vm0, smMap(vm0, { addr: 0x40_0000, range: 4 * PG, obj: 1, offset: 0 }));
    expect(pageTableActions(o, pagesOf)).toEqual([
      { type: "map", va: 0x40_0000, pa: 100 * PG, size: 3 * PG, prot: RW },
      { type: "map", va: 0x40_0000 + 3 * PG, pa: 200 * PG, size: PG, prot: RW },
    ]);
  });

  it("starts at the page the BO offset names", () => {
    const o = ops(vm0, smMap(vm0, { addr: 0x40_0000, range: 2 * PG, obj: 1, offset: PG, flags: OP.MAP_READONLY }));
    expect(pageTableActions(o, pagesOf)).toEqual([{ type: "map", va: 0x40_0000, pa: 101 * PG, size: 2 * PG, prot: IOMMU_PROT.READ | IOMMU_PROT.CACHE }]);
  });

  it("unmaps only the cut part of a split mapping, leaving the kept pieces' PTEs alone, then maps the new range", () => {
    const vm = applyOps(vm0, ops(vm0, smMap(vm0, { addr: 0x40_0000, range: 4 * PG, obj: 1, offset: 0 })));
    const o = ops(vm, smMap(vm, { addr: 0x40_0000 + PG, range: 2 * PG, obj: 2, offset: 0 }));
    expect(pageTableActions(o, pagesOf)).toEqual([
      { type: "unmap", va: 0x40_0000 + PG, size: 2 * PG },
      { type: "map", va: 0x40_0000 + PG, pa: 7 * PG, size: 2 * PG, prot: RW },
    ]);
  });

  it("unmaps whole VAs for UNMAP ops and the straddling part for REMAP ops of an unmap request", () => {
    let vm = applyOps(vm0, ops(vm0, smMap(vm0, { addr: 0, range: 2 * PG, obj: 2, offset: 0 })));
    vm = applyOps(vm, ops(vm, smMap(vm, { addr: 2 * PG, range: 4 * PG, obj: 1, offset: 0 })));
    expect(pageTableActions(ops(vm, smUnmap(vm, 0, 3 * PG)), pagesOf)).toEqual([
      { type: "unmap", va: 0, size: 2 * PG },
      { type: "unmap", va: 2 * PG, size: PG },
    ]);
  });

  it("maps nothing for a VA without an object, and refuses to map a BO without pages", () => {
    expect(pageTableActions(ops(vm0, smMap(vm0, { addr: 0, range: PG, obj: null, offset: 0 })), pagesOf)).toEqual([]);
    const o = ops(vm0, smMap(vm0, { addr: 0, range: PG, obj: 5, offset: 0 }));
    expect(() => pageTableActions(o, pagesOf)).toThrow(GpuVmStateError);
  });
});
