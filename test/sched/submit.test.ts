import { describe, expect, it } from "vitest";
import { encode, wordsToBytes } from "../../services/firmware/index.ts";
import { bindArgs, bootDrmDevice, groupArgs, mapOp, queueSubmit, submitArgs, SYNC } from "../support/drmDevice.ts";

const STREAM_VA = 0x10_0000;
const TARGET_VA = 0x20_0000;

describe("GROUP_SUBMIT end to end", () => {
  it("runs a user stream that stores 0xdeadbeef into another BO and signals the out-syncobj", () => {
    // given a client with a VM, a stream BO and a target BO mapped in it
    const dev = bootDrmDevice();
    const f = dev.open("app");
    const vm = f.ioctl("VM_CREATE").out.id as number;
    const stream = f.ioctl("BO_CREATE", { size: 4096 }).out.handle as number;
    const target = f.ioctl("BO_CREATE", { size: 4096 }).out.handle as number;
    expect(f.ioctl("VM_BIND", bindArgs(vm, [mapOp(stream, STREAM_VA, 4096), mapOp(target, TARGET_VA, 4096)])).ret).toBe(0);
    // and a stream written through the CPU mapping: r0 = 0xdeadbeef; d2 = TARGET_VA; store r0 at [d2]
    const words = [encode.move32(0, 0xdeadbeef), encode.move48(2, TARGET_VA), encode.storeMultiple(0, 2, 0b1)];
    f.mmap(stream).write(0, wordsToBytes(words));
    // when a group is created and the stream submitted with an out-syncobj
    const group = f.ioctl("GROUP_CREATE", groupArgs(vm));
    expect(group.ret).toBe(0);
    const out = f.syncobjCreate();
    const r = f.ioctl("GROUP_SUBMIT", submitArgs(group.out.group_handle as number, [queueSubmit(0, STREAM_VA, words.length * 8, [{ flags: SYNC.SIGNAL, handle: out }])]));
    expect(r.ret).toBe(0);
    // then the out-syncobj signals and the target BO holds 0xdeadbeef
    expect(f.syncobjWait([out], { timeoutNs: 1_000_000_000 }).ret).toBe(0);
    expect([...f.mmap(target).read(0, 4)]).toEqual([0xef, 0xbe, 0xad, 0xde]);
    expect(dev.events("ActorHandlerFailed")).toEqual([]);
    expect(dev.events("JobFenceSignalled").map((e) => e.payload)).toEqual([expect.objectContaining({ file: 1, group: 1, queue: 0, seqno: 1, error: 0 })]);
  });
});
