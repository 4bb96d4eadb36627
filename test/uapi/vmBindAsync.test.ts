import { describe, expect, it } from "vitest";
import { DRM_PANTHOR_SYNC_OP as S } from "../../services/driver/uapi/vmBindIoctl.ts";
import { DRM_SYNCOBJ_WAIT_FLAGS as W } from "../../services/driver/uapi/syncobjWait.ts";
import { neg } from "../../services/workload/drmClient.ts";
import { bindArgs, bootDrmDevice, mapOp, unmapOp } from "../support/drmDevice.ts";

const PG = 4096;
const VA = 0x10_0000;
const ASYNC = 1;
const SYNC_ONLY = 0x2000_0000;
const syncs = (...ops: object[]) => ({ syncs: { stride: 16, count: ops.length, array: ops } });
const wait = (handle: number, point = 0) => ({ flags: point === 0 ? S.HANDLE_TYPE_SYNCOBJ : S.HANDLE_TYPE_TIMELINE_SYNCOBJ, handle, timeline_value: point });
const signal = (handle: number, point = 0) => ({ ...wait(handle, point), flags: (wait(handle, point).flags | S.SIGNAL) >>> 0 });

function setup(opts = {}) {
  const dev = bootDrmDevice(undefined, opts);
  const f = dev.open("app");
  f.ioctl("VM_CREATE");
  f.ioctl("BO_CREATE", { size: 2 * PG });
  const vas = () => dev.state().files[0]!.vms[0]!.vas;
  return { dev, f, vas };
}

describe("VM_BIND, asynchronous (panthor.md §1.6, §5.5)", () => {
  it("holds a job until its in-fence signals: a bind on an idle VM waits for a slower one on a resident VM", () => {
    // given VM 1 resident (its binds go through LOCK/FLUSH_PT/UNLOCK and take ~30 µs) and VM 2 not
    const { dev, f, vas } = setup();
    f.ioctl("VM_CREATE");
    expect(dev.activate(f.fd, 1).as).toBe(1);
    const s1 = f.syncobjCreate();
    const s2 = f.syncobjCreate();
    // when VM 2's MAP waits on the out-fence of VM 1's MAP, submitted just before it
    expect(f.ioctl("VM_BIND", bindArgs(1, [{ ...mapOp(1, VA, PG), ...syncs(signal(s1)) }], ASYNC)).ret).toBe(0);
    expect(f.ioctl("VM_BIND", bindArgs(2, [{ ...mapOp(1, VA, PG), ...syncs(wait(s1), signal(s2)) }], ASYNC)).ret).toBe(0);
    // then VM 2's job completes only after VM 1's, and a wait on its out-fence wakes up then
    expect(f.syncobjWait([s2], { timeoutNs: 1_000_000 })).toEqual({ ret: 0, first: 0 });
    const done = dev.events("VmBindJobCompleted").map((e) => [(e.payload as { vmId: number }).vmId, e.timeNs]);
    expect(done.map(([vm]) => vm)).toEqual([1, 2]);
    expect(done[1]![1]).toBeGreaterThanOrEqual(done[0]![1]!);
    expect(done[0]![1]! - dev.events("IoctlCompleted").at(-2)!.timeNs).toBeGreaterThan(20_000);
    expect(vas()).toHaveLength(1);
  });

  it("attaches its out-fence to a timeline point that signals when the job has run", () => {
    const { dev, f, vas } = setup();
    const out = f.syncobjCreate();
    expect(f.ioctl("VM_BIND", bindArgs(1, [{ ...mapOp(1, VA, PG), ...syncs(signal(out, 7)) }], ASYNC)).ret).toBe(0);
    expect(f.syncobjWait([out], { points: [7], timeoutNs: 1_000_000 }).ret).toBe(0);
    expect(f.syncobjQuery([out])).toEqual([7]);
    expect(vas().map((v) => v.addr)).toEqual([VA]);
    expect(dev.events("VmBindJobCompleted").map((e) => e.payload)).toEqual([{ file: 1, vmId: 1, job: 1, ret: 0 }]);
  });

  it("lets an op wait on a point an earlier op of the same call signals", () => {
    const { f, vas } = setup();
    const t = f.syncobjCreate();
    const r = f.ioctl("VM_BIND", bindArgs(1, [
      { ...mapOp(1, VA, PG), ...syncs(signal(t, 1)) },
      { ...mapOp(1, VA + PG, PG, { offset: PG }), ...syncs(wait(t, 1), signal(t, 2)) },
    ], ASYNC));
    expect(r.ret).toBe(0);
    expect(f.syncobjWait([t], { points: [2], timeoutNs: 1_000_000 }).ret).toBe(0);
    expect(vas()).toHaveLength(2);
  });

  it("makes the VM unusable when a job fails: later MAPs are refused, UNMAP still works", () => {
    // given a GEM limit of 4 pages and an 8-page BO, mapped asynchronously
    const { dev, f } = setup({ gemLimitBytes: 4 * PG });
    f.ioctl("BO_CREATE", { size: 8 * PG });
    const out = f.syncobjCreate();
    expect(f.ioctl("VM_BIND", bindArgs(1, [{ ...mapOp(2, VA, 8 * PG), ...syncs(signal(out)) }], ASYNC)).ret).toBe(0);
    // then the job fails with -ENOMEM when it runs, its fence still signals, and the VM is unusable
    expect(f.syncobjWait([out], { timeoutNs: 1_000_000 }).ret).toBe(0);
    expect(dev.events("VmBindJobCompleted").at(-1)!.payload).toMatchObject({ ret: neg("ENOMEM") });
    expect(f.ioctl("VM_GET_STATE", { vm_id: 1 }).out).toEqual({ state: 1 });
    expect(f.ioctl("VM_BIND", bindArgs(1, [mapOp(1, VA, PG)])).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("VM_BIND", bindArgs(1, [{ ...mapOp(1, VA, PG), ...syncs(signal(out)) }], ASYNC)).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("VM_BIND", bindArgs(1, [unmapOp(VA, PG)])).ret).toBe(0);
  });

  it("checks sync ops: flags, binary points, missing syncobjs, SYNC_ONLY shape", () => {
    const { f } = setup();
    const h = f.syncobjCreate(1);
    const bind = (op: object) => f.ioctl("VM_BIND", bindArgs(1, [op], ASYNC)).ret;
    expect(bind({ ...mapOp(1, VA, PG), ...syncs({ ...signal(h), flags: (S.SIGNAL | 0x100) >>> 0 }) })).toBe(neg("EINVAL"));
    expect(bind({ ...mapOp(1, VA, PG), ...syncs({ ...signal(h), flags: 2 }) })).toBe(neg("EINVAL"));
    expect(bind({ ...mapOp(1, VA, PG), ...syncs({ ...wait(h), timeline_value: 3 }) })).toBe(neg("EINVAL"));
    expect(bind({ ...mapOp(1, VA, PG), ...syncs(signal(42)) })).toBe(neg("EINVAL"));
    expect(bind({ ...mapOp(1, VA, PG), ...syncs(wait(42)) })).toBe(neg("ENOENT"));
    expect(bind({ flags: SYNC_ONLY })).toBe(neg("EINVAL"));
    expect(bind({ flags: SYNC_ONLY, va: VA, ...syncs(wait(h)) })).toBe(neg("EINVAL"));
    expect(bind({ flags: SYNC_ONLY, ...syncs(wait(h), signal(h)) })).toBe(0);
    expect(f.ioctl("VM_BIND", { ...bindArgs(1, [{ flags: SYNC_ONLY, ...syncs(wait(h)) }]), flags: 0 }).ret).toBe(neg("EINVAL"));
    expect(bind({ ...mapOp(1, VA, PG), syncs: { stride: 16, count: 1, array: "bad" } })).toBe(neg("EFAULT"));
    expect(bind({ ...mapOp(1, VA, PG), syncs: { stride: 8, count: 1, array: [wait(h)] } })).toBe(neg("EINVAL"));
    expect(f.syncobjWait([h], { flags: W.WAIT_ALL }).ret).toBe(0);
  });
});
