import { describe, expect, it } from "vitest";
import { IoctlCompleted, IoctlIssued } from "../../services/driver/uapi/uapiEvents.ts";
import { embeddedChannel } from "../../services/workload/drmChannel.ts";
import { neg, openDevice } from "../../services/workload/drmClient.ts";
import { bindArgs, bootDrmDevice, mapOp } from "../support/drmDevice.ts";

describe("VM_CREATE (panthor.md §1.5, §5.4)", () => {
  it("splits the 48-bit VA in halves by default and returns the start of the kernel VA", () => {
    const f = bootDrmDevice().open("app");
    expect(f.ioctl("VM_CREATE")).toEqual({ ret: 0, out: { id: 1, user_va_range: 2 ** 47 } });
    expect(f.ioctl("VM_CREATE", { user_va_range: 2 ** 32 }).out).toMatchObject({ id: 2, user_va_range: 2 ** 47 });
  });

  it("refuses non-zero flags and a user range that leaves the kernel less than 256 MiB", () => {
    const f = bootDrmDevice().open("app");
    expect(f.ioctl("VM_CREATE", { flags: 1 }).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("VM_CREATE", { user_va_range: 2 ** 48 - 2 ** 27 }).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("VM_CREATE", { user_va_range: "18446744073709551615" }).ret).toBe(neg("EINVAL"));
  });

  it("numbers VMs per file from 1 and refuses the 33rd with -EBUSY (XA_LIMIT(1, 32))", () => {
    const dev = bootDrmDevice();
    const a = dev.open("a");
    const b = dev.open("b");
    for (let i = 1; i <= 32; i++) expect(a.ioctl("VM_CREATE").out.id).toBe(i);
    expect(a.ioctl("VM_CREATE").ret).toBe(neg("EBUSY"));
    expect(b.ioctl("VM_CREATE").out.id).toBe(1);
    expect(a.ioctl("VM_DESTROY", { id: 5 }).ret).toBe(0);
    expect(a.ioctl("VM_CREATE").out.id).toBe(5);
  });
});

describe("VM_DESTROY and VM_GET_STATE", () => {
  it("refuses unknown ids — another client's included — and pad with -EINVAL", () => {
    const dev = bootDrmDevice();
    const a = dev.open("a");
    const b = dev.open("b");
    a.ioctl("VM_CREATE");
    expect(b.ioctl("VM_DESTROY", { id: 1 }).ret).toBe(neg("EINVAL"));
    expect(b.ioctl("VM_GET_STATE", { vm_id: 1 }).ret).toBe(neg("EINVAL"));
    expect(a.ioctl("VM_DESTROY", { id: 1, pad: 1 }).ret).toBe(neg("EINVAL"));
    expect(a.ioctl("VM_GET_STATE", { vm_id: 1, pad: 1 }).ret).toBe(neg("EINVAL"));
    expect(a.ioctl("VM_GET_STATE", { vm_id: 1 }).out).toEqual({ state: 0 });
    expect(a.ioctl("VM_DESTROY", { id: 1 }).ret).toBe(0);
    expect(a.ioctl("VM_DESTROY", { id: 1 }).ret).toBe(neg("EINVAL"));
    expect(a.ioctl("VM_DESTROY", { id: 0 }).ret).toBe(neg("EINVAL"));
  });

  it("unmaps everything at destruction: pages unpinned, table pages back in the pool", () => {
    const dev = bootDrmDevice();
    const f = dev.open("app");
    const free = dev.state().ptPoolFreeFrames;
    f.ioctl("VM_CREATE");
    f.ioctl("BO_CREATE", { size: 8192 });
    expect(f.ioctl("VM_BIND", bindArgs(1, [mapOp(1, 0x10_0000, 8192)])).ret).toBe(0);
    expect(dev.state().gem[0]!.gpuMappings).toBe(1);
    expect(f.ioctl("VM_DESTROY", { id: 1 }).ret).toBe(0);
    expect(dev.state().gem[0]!.gpuMappings).toBe(0);
    expect(dev.state().ptPoolFreeFrames).toBe(free);
  });

  it("releases every VM, handle and mapping of a file when it is closed", () => {
    const dev = bootDrmDevice();
    const f = dev.open("app");
    f.ioctl("VM_CREATE");
    f.ioctl("BO_CREATE", { size: 4096 });
    f.ioctl("VM_BIND", bindArgs(1, [mapOp(1, 0x10_0000, 4096)]));
    f.mmap(1);
    f.syncobjCreate();
    expect(dev.activate(f.fd, 1).as).toBe(1);
    expect(f.close()).toBe(0);
    expect(dev.state()).toMatchObject({ files: [], gem: [], asSlots: [] });
    expect(f.ioctl("VM_CREATE").ret).toBe(neg("EBADF"));
    expect(f.close()).toBe(neg("EBADF"));
  });
});

describe("DRM files are per process", () => {
  it("refuses a client's ioctl on another client's file number with -EBADF", () => {
    const dev = bootDrmDevice();
    const a = dev.open("a");
    const bChannel = embeddedChannel(dev.sim, "b");
    openDevice(bChannel);
    a.ioctl("VM_CREATE");
    // b names a's fd: the number is not one of b's open files
    const answer = bChannel.request({
      def: IoctlIssued, path: "drv0.ioctl", payload: { file: a.fd, ioctl: "VM_GET_STATE", args: { vm_id: 1 }, tag: "peek" },
      answer: { types: [IoctlCompleted.type], tag: "peek" },
    });
    expect((answer.payload as { ret: number }).ret).toBe(neg("EBADF"));
    expect(a.ioctl("VM_GET_STATE", { vm_id: 1 }).ret).toBe(0);
  });
});
