import { describe, expect, it } from "vitest";
import { createGpuVm, insertVa, userVas, type GpuVa, type GpuVm } from "./gpuvm.ts";
import type { GpuVaOp, OpMap } from "./ops.ts";
import { madviseOps } from "./splitMerge.ts";

// kernel-tests.md §1.6. The request carries obj 9 at offset 7 so the final MAP shows it is the
// request's own, while MAPs built by the traversal carry obj null, offset 0.
const REQ = { obj: 9, offset: 7 };

function given(...vas: [addr: number, end: number, obj: number | null, off: number][]): { vm: GpuVm; g: GpuVa[] } {
  let vm = createGpuVm({ mmStart: 0, mmRange: 64 });
  for (const [addr, end, obj, offset] of vas) {
    const r = insertVa(vm, { addr, range: end - addr, obj, offset, flags: 0 });
    if (!r.ok) throw new Error(r.errno);
    vm = r.vm;
  }
  return { vm, g: userVas(vm) };
}

const M = (addr: number, range: number, obj: number | null, offset: number): OpMap => ({ addr, range, obj, offset, flags: 0 });
const MAP = (map: OpMap): GpuVaOp => ({ type: "map", map });
const REMAP = (prev: OpMap | undefined, next: OpMap | undefined, va: GpuVa): GpuVaOp =>
  ({ type: "remap", ...(prev && { prev }), ...(next && { next }), unmap: { va, keep: false } });
const three = () => given([0, 4, null, 0], [4, 8, null, 0], [8, 12, null, 0]); // null-object VAs carry offset 0

describe("drm_gpuvm_madvise_ops_create (kernel-tests.md §1.6)", () => {
  it("GPUVM-M01: a request inside one object-less VA gives one REMAP and the request's MAP", () => {
    const { vm, g } = given([0, 12, null, 0]);
    expect(madviseOps(vm, { addr: 4, range: 4, ...REQ })).toEqual({
      ok: true,
      ops: [REMAP(M(0, 4, null, 0), M(8, 4, null, 8), g[0]!), MAP(M(4, 4, 9, 7))],
    });
  });

  it("GPUVM-M02: a request across three VAs splits both edge VAs, each followed by a MAP of its cut part, and leaves the middle one alone", () => {
    const { vm, g } = three();
    expect(madviseOps(vm, { addr: 2, range: 8, ...REQ })).toEqual({
      ok: true,
      ops: [REMAP(M(0, 2, null, 0), undefined, g[0]!), MAP(M(2, 2, null, 0)), REMAP(undefined, M(10, 2, null, 2), g[2]!), MAP(M(8, 2, null, 0))],
    });
  });

  it("GPUVM-M03: a start-aligned request splits only the last VA", () => {
    const { vm, g } = three();
    expect(madviseOps(vm, { addr: 0, range: 10, ...REQ })).toEqual({
      ok: true,
      ops: [REMAP(undefined, M(10, 2, null, 2), g[2]!), MAP(M(8, 2, null, 0))],
    });
  });

  it("GPUVM-M04: an end-aligned request splits only the first VA", () => {
    const { vm, g } = three();
    expect(madviseOps(vm, { addr: 2, range: 6, ...REQ })).toEqual({
      ok: true,
      ops: [REMAP(M(0, 2, null, 0), undefined, g[0]!), MAP(M(2, 2, null, 0))],
    });
  });

  it("GPUVM-M05: a request aligned to VA edges on both sides emits nothing", () => {
    const { vm } = three();
    expect(madviseOps(vm, { addr: 0, range: 8, ...REQ })).toEqual({ ok: true, ops: [] });
    expect(madviseOps(vm, { addr: 4, range: 8, ...REQ })).toEqual({ ok: true, ops: [] });
  });

  it("GPUVM-M06: an empty VM emits nothing", () => {
    expect(madviseOps(given().vm, { addr: 3, range: 20, ...REQ })).toEqual({ ok: true, ops: [] });
  });

  it("GPUVM-M07: VAs with a GEM object are skipped", () => {
    const { vm } = given([0, 4, 1, 100]);
    expect(madviseOps(vm, { addr: 1, range: 2, ...REQ })).toEqual({ ok: true, ops: [] });
  });

  it("rejects an invalid range with -EINVAL like sm_map", () => {
    expect(madviseOps(given().vm, { addr: 60, range: 8, ...REQ })).toEqual({ ok: false, errno: "EINVAL" });
  });
});
