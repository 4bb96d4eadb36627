import { describe, expect, it } from "vitest";
import { IoctlIssued } from "../../services/driver/uapi/uapiEvents.ts";
import { DRM_SYNCOBJ_WAIT_FLAGS as W } from "../../services/driver/uapi/syncobjWait.ts";
import { neg } from "../../services/workload/drmClient.ts";
import { bootDrmDevice } from "../support/drmDevice.ts";

const MS = 1_000_000;
const SIGNALED = 1;

describe("binary syncobjs (drm_syncobj.c)", () => {
  it("creates unsignalled and signalled syncobjs and waits on them", () => {
    const f = bootDrmDevice().open("app");
    const empty = f.syncobjCreate();
    const done = f.syncobjCreate(SIGNALED);
    expect([empty, done]).toEqual([1, 2]);
    expect(f.syncobjWait([done])).toEqual({ ret: 0, first: 0 });
    // no fence and no WAIT_FOR_SUBMIT: -EINVAL; with it, the poll times out
    expect(f.syncobjWait([empty]).ret).toBe(neg("EINVAL"));
    expect(f.syncobjWait([empty], { flags: W.WAIT_FOR_SUBMIT }).ret).toBe(neg("ETIME"));
    // any of two is enough, all of two is not
    expect(f.syncobjWait([empty, done], { flags: W.WAIT_FOR_SUBMIT })).toEqual({ ret: 0, first: 1 });
    expect(f.syncobjWait([empty, done], { flags: W.WAIT_FOR_SUBMIT | W.WAIT_ALL }).ret).toBe(neg("ETIME"));
  });

  it("times out on virtual time, and wakes a waiter when another client signals the shared syncobj", () => {
    const dev = bootDrmDevice();
    const a = dev.open("a");
    const b = dev.open("b");
    const h = a.syncobjCreate();
    const hb = b.syncobjImport(a.syncobjExport(h));
    // a wait of 2 ms with nothing coming takes 2 ms of virtual time and says -ETIME
    const t0 = dev.sim.scheduler.nowNs;
    expect(a.syncobjWait([h], { flags: W.WAIT_FOR_SUBMIT, timeoutNs: 2 * MS }).ret).toBe(neg("ETIME"));
    expect(dev.sim.scheduler.nowNs - t0).toBeGreaterThanOrEqual(2 * MS);
    // client b signals its handle 1 ms into a's next wait
    const t1 = dev.sim.scheduler.nowNs;
    dev.sim.input("b", IoctlIssued, "drv0.ioctl", { file: b.fd, ioctl: "SYNCOBJ_SIGNAL", args: { handles: [hb], count_handles: 1 }, tag: "b-late" }, t1 + MS);
    expect(a.syncobjWait([h], { flags: W.WAIT_FOR_SUBMIT, timeoutNs: 10 * MS })).toEqual({ ret: 0, first: 0 });
    expect(dev.sim.scheduler.nowNs - t1).toBeLessThan(2 * MS);
  });

  it("resets, destroys and refuses bad arguments with the kernel's errnos", () => {
    const dev = bootDrmDevice();
    const f = dev.open("app");
    const other = dev.open("other");
    const h = f.syncobjCreate(SIGNALED);
    expect(f.ioctl("SYNCOBJ_RESET", { handles: [h], count_handles: 1 }).ret).toBe(0);
    expect(f.syncobjWait([h]).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("SYNCOBJ_CREATE", { flags: 2 }).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("SYNCOBJ_RESET", { handles: [h], count_handles: 0 }).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("SYNCOBJ_SIGNAL", { handles: [h], count_handles: 1, pad: 1 }).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("SYNCOBJ_SIGNAL", { handles: [h, 9], count_handles: 2 }).ret).toBe(neg("ENOENT"));
    expect(f.ioctl("SYNCOBJ_SIGNAL", { handles: "bad", count_handles: 1 }).ret).toBe(neg("EFAULT"));
    expect(f.ioctl("SYNCOBJ_WAIT", { handles: [h], count_handles: 1, flags: 1 << 5 }).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("SYNCOBJ_WAIT", { handles: [], count_handles: 0 }).ret).toBe(0);
    expect(f.ioctl("SYNCOBJ_WAIT", { handles: [h], count_handles: 2 }).ret).toBe(neg("EFAULT"));
    expect(other.ioctl("SYNCOBJ_WAIT", { handles: [h], count_handles: 1 }).ret).toBe(neg("ENOENT"));
    expect(other.ioctl("SYNCOBJ_DESTROY", { handle: h }).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("SYNCOBJ_DESTROY", { handle: h, pad: 1 }).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("SYNCOBJ_DESTROY", { handle: h }).ret).toBe(0);
    expect(f.ioctl("SYNCOBJ_DESTROY", { handle: h }).ret).toBe(neg("EINVAL"));
  });

  it("exports a syncobj and a sync_file as fd tokens another client imports", () => {
    const dev = bootDrmDevice();
    const a = dev.open("a");
    const b = dev.open("b");
    const h = a.syncobjCreate(SIGNALED);
    const fd = a.syncobjExport(h);
    const hb = b.syncobjImport(fd);
    expect(b.syncobjWait([hb]).ret).toBe(0);
    const file = a.ioctl("SYNCOBJ_HANDLE_TO_FD", { handle: h, flags: 1 });
    expect(file.ret).toBe(0);
    const target = b.syncobjCreate();
    expect(b.ioctl("SYNCOBJ_FD_TO_HANDLE", { fd: file.out.fd, handle: target, flags: 1 }).ret).toBe(0);
    expect(b.syncobjWait([target]).ret).toBe(0);
    // the errors: unknown handle, a sync_file where a syncobj fd is expected and back, a non-fd
    expect(a.ioctl("SYNCOBJ_HANDLE_TO_FD", { handle: 9 }).ret).toBe(neg("EINVAL"));
    expect(a.ioctl("SYNCOBJ_HANDLE_TO_FD", { handle: 9, flags: 1 }).ret).toBe(neg("ENOENT"));
    expect(a.ioctl("SYNCOBJ_HANDLE_TO_FD", { handle: a.syncobjCreate(), flags: 1 }).ret).toBe(neg("EINVAL"));
    expect(b.ioctl("SYNCOBJ_FD_TO_HANDLE", { fd: file.out.fd }).ret).toBe(neg("EINVAL"));
    expect(b.ioctl("SYNCOBJ_FD_TO_HANDLE", { fd, handle: target, flags: 1 }).ret).toBe(neg("EINVAL"));
    expect(b.ioctl("SYNCOBJ_FD_TO_HANDLE", { fd: 3 }).ret).toBe(neg("EINVAL"));
    expect(b.ioctl("SYNCOBJ_FD_TO_HANDLE", { fd: file.out.fd, handle: 77, flags: 1 }).ret).toBe(neg("ENOENT"));
    expect(a.ioctl("SYNCOBJ_HANDLE_TO_FD", { handle: h, pad: 1 }).ret).toBe(neg("EINVAL"));
  });
});

describe("timeline syncobjs", () => {
  it("signals points, reports the last signalled one and waits for points", () => {
    const f = bootDrmDevice().open("app");
    const t = f.syncobjCreate();
    f.syncobjSignal([t], [1]);
    f.syncobjSignal([t], [3]);
    expect(f.syncobjQuery([t])).toEqual([3]);
    expect(f.syncobjQuery([t], 1)).toEqual([3]);
    expect(f.syncobjWait([t], { points: [2] }).ret).toBe(0);
    // point 5 is not submitted: -EINVAL without WAIT_FOR_SUBMIT, a timeout with it
    expect(f.syncobjWait([t], { points: [5] }).ret).toBe(neg("EINVAL"));
    expect(f.syncobjWait([t], { points: [5], flags: W.WAIT_FOR_SUBMIT }).ret).toBe(neg("ETIME"));
    f.syncobjSignal([t], ["5"]);
    expect(f.syncobjWait([t], { points: [5], flags: W.WAIT_AVAILABLE }).ret).toBe(0);
    expect(f.syncobjQuery([f.syncobjCreate(SIGNALED)])).toEqual([0]);
    expect(f.ioctl("SYNCOBJ_TIMELINE_SIGNAL", { handles: [t], points: [6], count_handles: 1, flags: 1 }).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("SYNCOBJ_QUERY", { handles: [t], points: "bad", count_handles: 1 }).ret).toBe(neg("EFAULT"));
    expect(f.ioctl("SYNCOBJ_QUERY", { handles: [t], points: [0], count_handles: 1, flags: 2 }).ret).toBe(neg("EINVAL"));
  });

  it("transfers a point to a binary syncobj and a binary fence to a timeline point", () => {
    const f = bootDrmDevice().open("app");
    const t = f.syncobjCreate();
    const bin = f.syncobjCreate();
    f.syncobjSignal([t], [4]);
    expect(f.ioctl("SYNCOBJ_TRANSFER", { src_handle: t, dst_handle: bin, src_point: 4 }).ret).toBe(0);
    expect(f.syncobjWait([bin]).ret).toBe(0);
    expect(f.ioctl("SYNCOBJ_TRANSFER", { src_handle: bin, dst_handle: t, dst_point: 9 }).ret).toBe(0);
    expect(f.syncobjQuery([t])).toEqual([9]);
    expect(f.ioctl("SYNCOBJ_TRANSFER", { src_handle: t, dst_handle: bin, src_point: 12 }).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("SYNCOBJ_TRANSFER", { src_handle: t, dst_handle: bin, src_point: 12, flags: W.WAIT_FOR_SUBMIT }).ret).toBe(neg("ETIME"));
    expect(f.ioctl("SYNCOBJ_TRANSFER", { src_handle: t, dst_handle: 99 }).ret).toBe(neg("ENOENT"));
    expect(f.ioctl("SYNCOBJ_TRANSFER", { src_handle: 99, dst_handle: bin }).ret).toBe(neg("ENOENT"));
    expect(f.ioctl("SYNCOBJ_TRANSFER", { src_handle: t, dst_handle: bin, flags: W.WAIT_ALL }).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("SYNCOBJ_TRANSFER", { src_handle: t, dst_handle: bin, pad: 1 }).ret).toBe(neg("EINVAL"));
  });
});
