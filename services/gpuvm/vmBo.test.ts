import { describe, expect, it } from "vitest";
import { applyOps } from "./applyOps.ts";
import {
  DRM_GPUVA_INVALIDATED, DRM_GPUVA_SPARSE, DRM_GPUVA_USERBITS, DRM_GPUVM_RESV_PROTECTED, DRM_GPUVM_USERBITS, createGpuVm, userVas, type GpuVm,
} from "./gpuvm.ts";
import { boUnmapOps, prefetchOps, smMapExecLockObjs, smUnmapExecLockObjs } from "./opGenerators.ts";
import type { OpsResult, SmMapRequest } from "./ops.ts";
import { smMap } from "./splitMerge.ts";
import {
  boEvict, boObtain, boObtainPrealloc, boPut, extobjAdd, prepareObjects, shareVmResv, vaLink, vaUnlink, validate, vmBoDelta,
} from "./vmBo.ts";

const A = 1;
const B = 2;
const C = 3;

function ops(r: OpsResult) {
  if (!r.ok) throw new Error(r.errno);
  return r.ops;
}

/** given a VM where each request was mapped in turn. */
function mapped(vm: GpuVm, ...reqs: SmMapRequest[]): GpuVm {
  return reqs.reduce((v, r) => applyOps(v, ops(smMap(v, r))), vm);
}

const empty = (flags = 0) => createGpuVm({ mmStart: 0, mmRange: 0x100, flags });

describe("vm_bo obtain, put, link and unlink (kernel-tests.md §1.7)", () => {
  it("GPUVM-B01: obtaining twice gives the same vm_bo, created with refcount 1 and then referenced again", () => {
    const first = boObtain(empty(), A);
    expect(first.vmBo).toEqual({ obj: A, refcount: 1, vas: [], evicted: false });
    const second = boObtain(first.vm, A);
    expect(second.vmBo.refcount).toBe(2);
    expect([...second.vm.vmBos.keys()]).toEqual([A]);
  });

  it("GPUVM-B02: obtain_prealloc links the preallocated vm_bo when none exists, else references the existing one and drops it", () => {
    const pre = { obj: A, refcount: 1, vas: [], evicted: false };
    const fresh = boObtainPrealloc(empty(), pre);
    expect(fresh).toMatchObject({ vmBo: pre, preDropped: false });
    const again = boObtainPrealloc(fresh.vm, { ...pre });
    expect(again.preDropped).toBe(true);
    expect(again.vmBo.refcount).toBe(2);
  });

  it("GPUVM-B03: each linked VA holds one reference, and the last unlink destroys the vm_bo and takes it off the lists", () => {
    let vm = mapped(empty(), { addr: 0, range: 4, obj: A, offset: 0 }, { addr: 8, range: 4, obj: A, offset: 4 });
    expect(vm.vmBos.get(A)).toMatchObject({ refcount: 2, vas: [1, 2] });
    vm = boEvict(extobjAdd(vm, A), A, true);
    expect([vm.extobjs, vm.evictList]).toEqual([[A], [A]]);
    vm = vaUnlink(vaUnlink(vm, 1, A), 2, A);
    expect(vm.vmBos.has(A)).toBe(false);
    expect([vm.extobjs, vm.evictList]).toEqual([[], []]);
  });

  it("GPUVM-B03: linking or unlinking a VA without an object changes nothing", () => {
    const vm = mapped(empty(), { addr: 0, range: 4, obj: null, offset: 0 });
    expect(vaLink(vm, 1)).toBe(vm);
    expect(vaUnlink(vm, 1, null)).toBe(vm);
  });

  it("keeps the vm_bo alive across a split, because prev and next are linked before the old VA is unlinked", () => {
    const before = mapped(empty(), { addr: 0, range: 12, obj: A, offset: 0 });
    const after = mapped(before, { addr: 4, range: 4, obj: B, offset: 0 });
    expect(after.vmBos.get(A)).toMatchObject({ refcount: 2, vas: [2, 3] });
    expect(vmBoDelta(before, after)).toEqual({ created: [B], destroyed: [] });
  });

  it("reports the vm_bos a mapping created and an unmap destroyed, so the driver pins and unpins as panthor does", () => {
    const before = mapped(empty(), { addr: 0, range: 4, obj: A, offset: 0 });
    const after = mapped(before, { addr: 0, range: 4, obj: B, offset: 0 });
    expect(vmBoDelta(before, after)).toEqual({ created: [B], destroyed: [A] });
    expect(boPut(boObtain(empty(), C).vm, C).destroyed).toBe(true);
  });
});

describe("external and evicted objects (kernel-tests.md §1.7)", () => {
  it("GPUVM-B04: extobj_add adds only external objects, once", () => {
    let vm = mapped(shareVmResv(empty(), B), { addr: 0, range: 4, obj: A, offset: 0 }, { addr: 4, range: 4, obj: B, offset: 0 });
    vm = extobjAdd(extobjAdd(extobjAdd(vm, A), A), B);
    expect(vm.extobjs).toEqual([A]);
  });

  it("GPUVM-B05: bo_evict sets evicted and moves the vm_bo onto and off the evict list", () => {
    let vm = mapped(empty(), { addr: 0, range: 4, obj: A, offset: 0 });
    vm = boEvict(vm, A, true);
    expect([vm.vmBos.get(A)?.evicted, vm.evictList]).toEqual([true, [A]]);
    vm = boEvict(vm, A, false);
    expect([vm.vmBos.get(A)?.evicted, vm.evictList]).toEqual([false, []]);
  });

  it("GPUVM-B05: with RESV_PROTECTED an evicted external object waits for prepare_objects to reach the evict list", () => {
    let vm = mapped(shareVmResv(empty(DRM_GPUVM_RESV_PROTECTED), B), { addr: 0, range: 4, obj: A, offset: 0 }, { addr: 4, range: 4, obj: B, offset: 0 });
    vm = boEvict(boEvict(extobjAdd(vm, A), A, true), B, true);
    expect(vm.evictList).toEqual([B]);
    const prepared = prepareObjects(vm);
    expect(prepared.locked).toEqual([A]);
    expect(prepared.vm.evictList).toEqual([B, A]);
  });

  it("GPUVM-B06: validate without a callback is -EOPNOTSUPP", () => {
    expect(validate(empty()).ret).toBe(-95);
  });

  it("GPUVM-B06: validate calls back once per evicted vm_bo in order, stops at the first error, and drops validated ones from the list", () => {
    let vm = mapped(empty(), { addr: 0, range: 4, obj: A, offset: 0 }, { addr: 4, range: 4, obj: B, offset: 0 }, { addr: 8, range: 4, obj: C, offset: 0 });
    vm = boEvict(boEvict(boEvict(vm, A, true), B, true), C, true);
    const seen: number[] = [];
    const r = validate(vm, (obj) => (seen.push(obj), obj === B ? -12 : 0));
    expect(r.ret).toBe(-12);
    expect(seen).toEqual([A, B]);
    expect(r.vm.evictList).toEqual([B, C]);
    expect(r.vm.vmBos.get(A)?.evicted).toBe(false);
  });
});

describe("other op generators and locking (kernel-tests.md §1.7)", () => {
  it("GPUVM-B07: prefetch_ops_create gives one PREFETCH per overlapping VA in address order, or none", () => {
    const vm = mapped(empty(), { addr: 8, range: 4, obj: B, offset: 0 }, { addr: 0, range: 4, obj: A, offset: 0 });
    expect(prefetchOps(vm, 2, 8).map((op) => op.va.addr)).toEqual([0, 8]);
    expect(prefetchOps(vm, 4, 4)).toEqual([]);
  });

  it("GPUVM-B08: bo_unmap_ops_create gives one UNMAP{keep: false} per VA linked to the vm_bo, in link order", () => {
    const vm = mapped(empty(), { addr: 8, range: 4, obj: A, offset: 4 }, { addr: 0, range: 4, obj: A, offset: 0 }, { addr: 4, range: 4, obj: B, offset: 0 });
    const unmaps = boUnmapOps(vm, A);
    expect(unmaps.map((op) => [op.va.addr, op.keep])).toEqual([[8, false], [0, false]]);
    expect(userVas(applyOps(vm, unmaps)).map((v) => v.obj)).toEqual([B]);
  });

  it("GPUVM-B09: gpuvm's flag values", () => {
    expect([DRM_GPUVA_INVALIDATED, DRM_GPUVA_SPARSE, DRM_GPUVA_USERBITS]).toEqual([1, 2, 4]);
    expect([DRM_GPUVM_RESV_PROTECTED, DRM_GPUVM_USERBITS]).toEqual([1, 2]);
  });

  it("GPUVM-B10: sm_map_exec_lock locks the request's object, then each REMAP or UNMAP target once; sm_unmap_exec_lock only the targets", () => {
    const vm = mapped(empty(), { addr: 0, range: 4, obj: A, offset: 0 }, { addr: 4, range: 4, obj: B, offset: 0 }, { addr: 8, range: 4, obj: A, offset: 8 });
    expect(smMapExecLockObjs(vm, { addr: 2, range: 8, obj: C, offset: 0 })).toEqual([C, A, B]);
    expect(smMapExecLockObjs(vm, { addr: 16, range: 4, obj: null, offset: 0 })).toEqual([]);
    expect(smUnmapExecLockObjs(vm, 4, 8)).toEqual([B, A]);
  });
});
