import { describe, expect, it } from "vitest";
import { applyOps } from "./applyOps.ts";
import { createGpuVm, insertVa, userVas, type GpuVa, type GpuVm } from "./gpuvm.ts";
import type { GpuVaOp, OpMap, SmMapRequest } from "./ops.ts";
import { smMap, smUnmap } from "./splitMerge.ts";
import { vaLink } from "./vmBo.ts";

// kernel-tests.md §0: objects A and B, offsets n = 100 and m = 200, addresses in arbitrary units.
const A = 1;
const B = 2;
const n = 100;
const m = 200;

type Old = readonly [addr: number, end: number, obj: number, off: number];

/** given: a VM holding exactly these VAs (the first is "a"). */
function given(...old: Old[]): { vm: GpuVm; vas: GpuVa[] } {
  let vm = createGpuVm({ mmStart: 0, mmRange: 64 });
  for (const [addr, end, obj, offset] of old) {
    const r = insertVa(vm, { addr, range: end - addr, obj, offset, flags: 0 });
    if (!r.ok) throw new Error(r.errno);
    vm = vaLink(r.vm, r.id);
  }
  return { vm, vas: userVas(vm) };
}

const M = (addr: number, range: number, obj: number | null, offset: number): OpMap => ({ addr, range, obj, offset, flags: 0 });
const MAP = (addr: number, range: number, obj: number | null, offset: number): GpuVaOp => ({ type: "map", map: M(addr, range, obj, offset) });
const UNMAP = (va: GpuVa, keep: boolean): GpuVaOp => ({ type: "unmap", va, keep });
const REMAP = (prev: OpMap | undefined, next: OpMap | undefined, va: GpuVa, keep: boolean): GpuVaOp =>
  ({ type: "remap", ...(prev && { prev }), ...(next && { next }), unmap: { va, keep } });
const req = (addr: number, end: number, obj: number, offset: number): SmMapRequest => ({ addr, range: end - addr, obj, offset });

/** when: sm_map(req); then: exactly `ops`, and the tree afterwards is `result`. */
function expectMap(g: { vm: GpuVm }, r: SmMapRequest, ops: GpuVaOp[], result: Old[]): void {
  const out = smMap(g.vm, r);
  expect(out).toEqual({ ok: true, ops });
  if (!out.ok) return;
  const after = userVas(applyOps(g.vm, out.ops)).map((v) => [v.addr, v.addr + v.range, v.obj, v.offset]);
  expect(after).toEqual(result);
}

describe("sm_map worked examples from DOC: Split and Merge (kernel-tests.md §1.3)", () => {
  it("GPUVM-01: an identical request still emits UNMAP(keep) then MAP", () => {
    const g = given([0, 1, A, n]);
    expectMap(g, req(0, 1, A, n), [UNMAP(g.vas[0]!, true), MAP(0, 1, A, n)], [[0, 1, A, n]]);
  });

  it("GPUVM-02: same range and object at another offset replaces the VA without keep", () => {
    const g = given([0, 1, A, n]);
    expectMap(g, req(0, 1, A, m), [UNMAP(g.vas[0]!, false), MAP(0, 1, A, m)], [[0, 1, A, m]]);
  });

  it("GPUVM-03: same range and offset with another object replaces the VA without keep", () => {
    const g = given([0, 1, A, n]);
    expectMap(g, req(0, 1, B, n), [UNMAP(g.vas[0]!, false), MAP(0, 1, B, n)], [[0, 1, B, n]]);
  });

  it("GPUVM-04: a left-aligned subset of the request is swallowed with keep", () => {
    const g = given([0, 1, A, n]);
    expectMap(g, req(0, 2, A, n), [UNMAP(g.vas[0]!, true), MAP(0, 2, A, n)], [[0, 2, A, n]]);
  });

  it("GPUVM-04b: with another object or a non-contiguous offset the swallowed VA is not kept", () => {
    const g = given([0, 1, A, n]);
    expectMap(g, req(0, 2, B, n), [UNMAP(g.vas[0]!, false), MAP(0, 2, B, n)], [[0, 2, B, n]]);
    expectMap(g, req(0, 2, A, 150), [UNMAP(g.vas[0]!, false), MAP(0, 2, A, 150)], [[0, 2, A, 150]]);
  });

  it("GPUVM-05: a left-aligned request for another object keeps the rest as next at n+1", () => {
    const g = given([0, 2, A, n]);
    expectMap(g, req(0, 1, B, n), [REMAP(undefined, M(1, 1, A, n + 1), g.vas[0]!, false), MAP(0, 1, B, n)], [[0, 1, B, n], [1, 2, A, n + 1]]);
  });

  it("GPUVM-05b: a left-aligned request of the same object at a non-contiguous offset is not kept", () => {
    const g = given([0, 2, A, n]);
    expectMap(g, req(0, 1, A, 150), [REMAP(undefined, M(1, 1, A, n + 1), g.vas[0]!, false), MAP(0, 1, A, 150)], [[0, 1, A, 150], [1, 2, A, n + 1]]);
  });

  it("GPUVM-06: a left-aligned request of the same object at a contiguous offset is kept", () => {
    const g = given([0, 2, A, n]);
    expectMap(g, req(0, 1, A, n), [REMAP(undefined, M(1, 1, A, n + 1), g.vas[0]!, true), MAP(0, 1, A, n)], [[0, 1, A, n], [1, 2, A, n + 1]]);
  });

  it("GPUVM-07: a right-aligned request for another object keeps prev at its old offset", () => {
    const g = given([0, 2, A, n]);
    expectMap(g, req(1, 2, B, m), [REMAP(M(0, 1, A, n), undefined, g.vas[0]!, false), MAP(1, 1, B, m)], [[0, 1, A, n], [1, 2, B, m]]);
  });

  it("GPUVM-08: a right-aligned request of the same object at a contiguous offset is kept", () => {
    const g = given([0, 2, A, n]);
    expectMap(g, req(1, 2, A, n + 1), [REMAP(M(0, 1, A, n), undefined, g.vas[0]!, true), MAP(1, 1, A, n + 1)], [[0, 1, A, n], [1, 2, A, n + 1]]);
  });

  it("GPUVM-09: a request overlapping the end of a VA for another object cuts it to prev", () => {
    const g = given([0, 2, A, n]);
    expectMap(g, req(1, 3, B, m), [REMAP(M(0, 1, A, n), undefined, g.vas[0]!, false), MAP(1, 2, B, m)], [[0, 1, A, n], [1, 3, B, m]]);
  });

  it("GPUVM-10: a request overlapping the end of a VA of the same object at a contiguous offset is kept", () => {
    const g = given([0, 2, A, n]);
    expectMap(g, req(1, 3, A, n + 1), [REMAP(M(0, 1, A, n), undefined, g.vas[0]!, true), MAP(1, 2, A, n + 1)], [[0, 1, A, n], [1, 3, A, n + 1]]);
  });

  it("GPUVM-11: a centred request for another object splits the VA into prev and next at n+2", () => {
    const g = given([0, 3, A, n]);
    expectMap(g, req(1, 2, B, m), [REMAP(M(0, 1, A, n), M(2, 1, A, n + 2), g.vas[0]!, false), MAP(1, 1, B, m)], [[0, 1, A, n], [1, 2, B, m], [2, 3, A, n + 2]]);
  });

  it("GPUVM-12: a centred request of the same object at a contiguous offset is kept, leaving three pieces at n, n+1, n+2", () => {
    const g = given([0, 3, A, n]);
    expectMap(g, req(1, 2, A, n + 1), [REMAP(M(0, 1, A, n), M(2, 1, A, n + 2), g.vas[0]!, true), MAP(1, 1, A, n + 1)], [[0, 1, A, n], [1, 2, A, n + 1], [2, 3, A, n + 2]]);
  });

  it("GPUVM-13: a right-aligned subset of the request is swallowed with keep", () => {
    const g = given([1, 2, A, n + 1]);
    expectMap(g, req(0, 2, A, n), [UNMAP(g.vas[0]!, true), MAP(0, 2, A, n)], [[0, 2, A, n]]);
  });

  it("GPUVM-13b: with another object or a non-contiguous offset it is swallowed without keep", () => {
    const g = given([1, 2, A, n + 1]);
    expectMap(g, req(0, 2, B, n), [UNMAP(g.vas[0]!, false), MAP(0, 2, B, n)], [[0, 2, B, n]]);
    expectMap(g, req(0, 2, A, 150), [UNMAP(g.vas[0]!, false), MAP(0, 2, A, 150)], [[0, 2, A, 150]]);
  });

  it("GPUVM-14: a centred subset of the request is swallowed with keep", () => {
    const g = given([1, 2, A, n + 1]);
    expectMap(g, req(0, 3, A, n), [UNMAP(g.vas[0]!, true), MAP(0, 3, A, n)], [[0, 3, A, n]]);
  });

  it("GPUVM-14b: at a non-contiguous offset the centred subset is not kept", () => {
    const g = given([1, 2, A, n + 1]);
    expectMap(g, req(0, 3, A, 150), [UNMAP(g.vas[0]!, false), MAP(0, 3, A, 150)], [[0, 3, A, 150]]);
  });

  it("GPUVM-15: a request overlapping the beginning of a VA keeps next at n+1, as the code computes (the doc's n+2 is wrong)", () => {
    const g = given([1, 3, A, n]);
    expectMap(g, req(0, 2, B, m), [REMAP(undefined, M(2, 1, A, n + 1), g.vas[0]!, false), MAP(0, 2, B, m)], [[0, 2, B, m], [2, 3, A, n + 1]]);
  });

  it("GPUVM-15b: overlapping the beginning with the same object at a contiguous offset is kept", () => {
    const g = given([1, 3, A, 101]);
    expectMap(g, req(0, 2, A, 100), [REMAP(undefined, M(2, 1, A, 102), g.vas[0]!, true), MAP(0, 2, A, 100)], [[0, 2, A, 100], [2, 3, A, 102]]);
  });
});

describe("sm_map across several VAs (kernel-tests.md §1.2)", () => {
  it("emits the REMAP of the left edge, UNMAPs of enclosed VAs and the REMAP of the right edge in address order, then one MAP", () => {
    const g = given([0, 2, A, n], [2, 3, B, m], [3, 6, A, 10]);
    const [a, b, c] = g.vas as [GpuVa, GpuVa, GpuVa];
    expectMap(g, req(1, 4, A, n + 1), [
      REMAP(M(0, 1, A, n), undefined, a, true),
      UNMAP(b, false),
      REMAP(undefined, M(4, 2, A, 11), c, false),
      MAP(1, 3, A, n + 1),
    ], [[0, 1, A, n], [1, 4, A, n + 1], [4, 6, A, 11]]);
  });

  it("does not merge a request with an adjacent VA of the same object at a contiguous offset", () => {
    const g = given([0, 2, A, n]);
    expectMap(g, req(2, 4, A, n + 2), [MAP(2, 2, A, n + 2)], [[0, 2, A, n], [2, 4, A, n + 2]]);
  });
});

describe("sm_unmap (kernel-tests.md §1.5)", () => {
  it("UNMAPs enclosed VAs and REMAPs straddling ones, never with keep, with next at off + (end − v.addr)", () => {
    const g = given([0, 3, A, n], [3, 4, B, m], [4, 8, A, 10]);
    const [a, b, c] = g.vas as [GpuVa, GpuVa, GpuVa];
    const out = smUnmap(g.vm, 1, 5);
    expect(out).toEqual({ ok: true, ops: [REMAP(M(0, 1, A, n), undefined, a, false), UNMAP(b, false), REMAP(undefined, M(6, 2, A, 12), c, false)] });
    if (out.ok) expect(userVas(applyOps(g.vm, out.ops)).map((v) => [v.addr, v.range, v.offset])).toEqual([[0, 1, n], [6, 2, 12]]);
  });

  it("REMAPs one VA with both pieces when the range is inside it", () => {
    const g = given([0, 4, A, n]);
    expect(smUnmap(g.vm, 1, 2)).toEqual({ ok: true, ops: [REMAP(M(0, 1, A, n), M(3, 1, A, n + 3), g.vas[0]!, false)] });
  });

  it("UNMAPs an exactly matching VA without keep, and emits nothing over a hole", () => {
    const g = given([0, 4, A, n]);
    expect(smUnmap(g.vm, 0, 4)).toEqual({ ok: true, ops: [UNMAP(g.vas[0]!, false)] });
    expect(smUnmap(g.vm, 8, 4)).toEqual({ ok: true, ops: [] });
  });

  it("returns -EINVAL for a range outside the VM", () => {
    expect(smUnmap(given().vm, 60, 8)).toEqual({ ok: false, errno: "EINVAL" });
  });
});
