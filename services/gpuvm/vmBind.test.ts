import { describe, expect, it } from "vitest";
import { applyOps } from "./applyOps.ts";
import { userVas } from "./gpuvm.ts";
import { createPanthorGpuVm } from "./vaLayout.ts";
import { DRM_PANTHOR_VM_BIND_OP as OP, execBindOp, prepareBindOp, vmBindSync, type BindBo, type VmBindOpArgs, type VmBindTarget } from "./vmBind.ts";

const KERNEL_VA_START = 2 ** 47;
const BOS: Record<number, BindBo> = {
  1: { obj: 10, size: 0x4000 },
  2: { obj: 20, size: 0x2000, exclusiveVm: { file: 1, vmId: 1 } },
  3: { obj: 30, size: 0x2000, exclusiveVm: { file: 1, vmId: 2 } },
};
const target: VmBindTarget = {
  vm: createPanthorGpuVm(48),
  ref: { file: 1, vmId: 1 },
  kernelVaStart: KERNEL_VA_START,
  unusable: false,
  lookupBo: (h) => BOS[h],
};
const map = (o: Partial<VmBindOpArgs> = {}): VmBindOpArgs => ({ flags: OP.TYPE_MAP, boHandle: 1, boOffset: 0, va: 0x10_0000, size: 0x4000, syncCount: 0, ...o });
const unmap = (o: Partial<VmBindOpArgs> = {}): VmBindOpArgs => ({ flags: OP.TYPE_UNMAP, boHandle: 0, boOffset: 0, va: 0x10_0000, size: 0x1000, syncCount: 0, ...o });
const EINVAL = { ok: false, errno: "EINVAL" };

describe("VM_BIND MAP validation (panthor_vm_bind_prepare_op_ctx, panthor.md §1.6)", () => {
  it("maps a whole BO, keeping READONLY and NOEXEC on the VA and dropping the type bits", () => {
    const r = vmBindSync(target, map({ flags: OP.TYPE_MAP | OP.MAP_READONLY | OP.MAP_NOEXEC }));
    expect(r).toEqual({ ok: true, ops: [{ type: "map", map: { addr: 0x10_0000, range: 0x4000, obj: 10, offset: 0, flags: OP.MAP_READONLY | OP.MAP_NOEXEC } }] });
  });

  it("rejects a VA, size or BO offset that is not page aligned with -EINVAL", () => {
    expect(vmBindSync(target, map({ va: 0x10_0800 }))).toEqual(EINVAL);
    expect(vmBindSync(target, map({ size: 0x3800 }))).toEqual(EINVAL);
    expect(vmBindSync(target, map({ boOffset: 0x800, size: 0x1000 }))).toEqual(EINVAL);
  });

  it("rejects an unknown BO handle with -EINVAL, as drm_gem_object_lookup's NULL reaches panthor_vm_prepare_map_op_ctx", () => {
    expect(vmBindSync(target, map({ boHandle: 99 }))).toEqual(EINVAL);
  });

  it("rejects unknown op flag bits and unknown op types, MAP_SPARSE included", () => {
    expect(vmBindSync(target, map({ flags: 1 << 3 }))).toEqual(EINVAL);
    expect(vmBindSync(target, map({ flags: 0x4000_0000 }))).toEqual(EINVAL);
    expect(vmBindSync(target, map({ flags: OP.TYPE_MAP_SPARSE | OP.MAP_NOEXEC, boHandle: 0 }))).toEqual(EINVAL);
  });

  it("rejects a range that does not fit inside the BO", () => {
    expect(vmBindSync(target, map({ size: 0x5000 }))).toEqual(EINVAL);
    expect(vmBindSync(target, map({ boOffset: 0x2000, size: 0x3000 }))).toEqual(EINVAL);
    expect(vmBindSync(target, map({ boOffset: 0x3000, size: 0x1000 })).ok).toBe(true);
  });

  it("maps an exclusive-VM BO only into its own VM", () => {
    expect(vmBindSync(target, map({ boHandle: 2, size: 0x2000 })).ok).toBe(true);
    expect(vmBindSync(target, map({ boHandle: 3, size: 0x2000 }))).toEqual(EINVAL);
  });

  it("keeps user binds below the kernel VA section", () => {
    expect(vmBindSync(target, map({ va: KERNEL_VA_START - 0x4000 })).ok).toBe(true);
    expect(vmBindSync(target, map({ va: KERNEL_VA_START - 0x1000 }))).toEqual(EINVAL);
    expect(vmBindSync(target, map({ va: KERNEL_VA_START }))).toEqual(EINVAL);
  });

  it("replaces whatever the new range overlaps instead of failing, as drm_gpuvm's sm_map does", () => {
    const first = vmBindSync(target, map());
    if (!first.ok) throw new Error(first.errno);
    const vm = applyOps(target.vm, first.ops);
    const second = vmBindSync({ ...target, vm }, map({ va: 0x10_2000, size: 0x2000 }));
    expect(second.ok && second.ops.map((op) => op.type)).toEqual(["remap", "map"]);
  });

  it("rejects arguments that are not u64 values", () => {
    expect(vmBindSync(target, map({ va: -0x1000 }))).toEqual(EINVAL);
    expect(vmBindSync(target, map({ size: 0.5 }))).toEqual(EINVAL);
  });
});

describe("VM_BIND UNMAP and SYNC_ONLY validation (panthor.md §1.6)", () => {
  it("unmaps a range with drm_gpuvm's sm_unmap", () => {
    expect(vmBindSync(target, unmap())).toEqual({ ok: true, ops: [] });
  });

  it("rejects an UNMAP carrying a BO handle or offset (IGT vm_unbind_invalid_address), or map flags", () => {
    expect(vmBindSync(target, unmap({ boHandle: 1 }))).toEqual(EINVAL);
    expect(vmBindSync(target, unmap({ boOffset: 0x1000 }))).toEqual(EINVAL);
    expect(vmBindSync(target, unmap({ flags: OP.TYPE_UNMAP | OP.MAP_READONLY }))).toEqual(EINVAL);
  });

  it("rejects any synchronous op that carries sync objects", () => {
    expect(vmBindSync(target, unmap({ syncCount: 1 }))).toEqual(EINVAL);
    expect(vmBindSync(target, { flags: OP.TYPE_SYNC_ONLY, boHandle: 0, boOffset: 0, va: 0, size: 0, syncCount: 1 })).toEqual(EINVAL);
  });

  it("treats a synchronous op of size 0 as done before looking at anything else", () => {
    expect(vmBindSync(target, map({ size: 0, boHandle: 99, va: 0x123 }))).toEqual({ ok: true, ops: [] });
    expect(vmBindSync(target, { flags: OP.TYPE_SYNC_ONLY, boHandle: 0, boOffset: 0, va: 0, size: 0, syncCount: 0 })).toEqual({ ok: true, ops: [] });
  });

  it("accepts an asynchronous SYNC_ONLY with at least one sync and nothing else set", () => {
    const syncOnly = { flags: OP.TYPE_SYNC_ONLY, boHandle: 0, boOffset: 0, va: 0, size: 0, syncCount: 1 };
    expect(prepareBindOp(target, syncOnly, true)).toEqual({ ok: true, prepared: { type: "sync-only" } });
    expect(prepareBindOp(target, { ...syncOnly, syncCount: 0 }, true)).toEqual(EINVAL);
    expect(prepareBindOp(target, { ...syncOnly, va: 0x1000 }, true)).toEqual(EINVAL);
    expect(prepareBindOp(target, { ...syncOnly, boHandle: 1 }, true)).toEqual(EINVAL);
  });
});

describe("VM_BIND on an unusable VM (panthor_vm_exec_op, panthor_vm_bind_job_create)", () => {
  const unusable = { ...target, unusable: true };

  it("refuses a synchronous MAP but still allows UNMAP so user space can tear down", () => {
    expect(vmBindSync(unusable, map())).toEqual(EINVAL);
    expect(vmBindSync(unusable, unmap()).ok).toBe(true);
  });

  it("refuses every asynchronous op at job creation, and on a destroyed VM too", () => {
    expect(prepareBindOp(unusable, unmap(), true)).toEqual(EINVAL);
    expect(prepareBindOp({ ...target, destroyed: true }, unmap(), true)).toEqual(EINVAL);
  });

  it("fails a prepared asynchronous MAP at run time once the VM became unusable", () => {
    const p = prepareBindOp(target, map(), true);
    if (!p.ok) throw new Error(p.errno);
    expect(execBindOp(target.vm, p.prepared, true)).toEqual(EINVAL);
    const ok = execBindOp(target.vm, p.prepared, false);
    expect(ok.ok && userVas(applyOps(target.vm, ok.ops)).map((v) => v.obj)).toEqual([10]);
  });
});
