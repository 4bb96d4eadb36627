import { describe, expect, it } from "vitest";
import { neg } from "../../services/workload/drmClient.ts";
import { PAGE_SIZE } from "../../shared/gpu/physicalMemory.ts";
import { bindArgs, bootDrmDevice, mapOp } from "../support/drmDevice.ts";

const PG = PAGE_SIZE;

describe("BO_CREATE (panthor.md §1.7)", () => {
  it("rounds sizes up to pages and hands out non-zero handles (IGT: 4096+904 and 5000 give 8192)", () => {
    const f = bootDrmDevice().open("app");
    expect(f.ioctl("BO_CREATE", { size: 4096 + 904 }).out).toEqual({ size: 8192, handle: 1 });
    expect(f.ioctl("BO_CREATE", { size: 5000 }).out).toEqual({ size: 8192, handle: 2 });
    expect(f.ioctl("BO_CREATE", { size: 1 }).out).toEqual({ size: PG, handle: 3 });
  });

  it("gives zero-filled BOs even on frames an earlier BO dirtied (IGT bo_zeroed)", () => {
    // given a BO that is written and freed
    const dev = bootDrmDevice();
    const f = dev.open("app");
    f.ioctl("BO_CREATE", { size: PG });
    const first = f.mmap(1);
    first.write(0, Array.from({ length: 64 }, () => 0xab));
    const framesBefore = dev.state().gem[0]!.pages;
    first.unmap();
    expect(f.ioctl("GEM_CLOSE", { handle: 1 }).ret).toBe(0);
    // when a new BO gets the same frame
    f.ioctl("BO_CREATE", { size: PG });
    const second = f.mmap(1);
    // then it reads back as zeros
    expect(dev.state().gem[0]!.pages).toEqual(framesBefore);
    expect([...second.read(0, 64)]).toEqual(Array(64).fill(0));
  });

  it("refuses size 0, a non-zero pad, unknown flags, WB_MMAP before 1.7 and an exclusive VM the file lacks", () => {
    const dev = bootDrmDevice();
    const f = dev.open("app");
    expect(f.ioctl("BO_CREATE", { size: 0 }).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("BO_CREATE", { size: PG, pad: 1 }).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("BO_CREATE", { size: PG, flags: 4 }).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("BO_CREATE", { size: PG, flags: 2 }).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("BO_CREATE", { size: PG, exclusive_vm_id: 1 }).ret).toBe(neg("EINVAL"));
    dev.open("other").ioctl("VM_CREATE");
    expect(f.ioctl("BO_CREATE", { size: PG, exclusive_vm_id: 1 }).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("BO_CREATE", { size: "9007199254740993" }).ret).toBe(neg("EINVAL"));
  });

  it("creates a BO larger than the memory limit and fails with -ENOMEM only when it is mapped", () => {
    const dev = bootDrmDevice(undefined, { gemLimitBytes: 16 * PG });
    const f = dev.open("app");
    f.ioctl("VM_CREATE");
    expect(f.ioctl("BO_CREATE", { size: 32 * PG }).ret).toBe(0);
    expect(f.ioctl("VM_BIND", bindArgs(1, [mapOp(1, 0x10_0000, 32 * PG)])).ret).toBe(neg("ENOMEM"));
    expect(dev.state().gem[0]).toMatchObject({ gpuMappings: 0, pages: null });
  });
});

describe("BO_MMAP_OFFSET, mmap and CPU access", () => {
  it("maps a BO by its offset; a write is a MemoryWritten at the BO's frames and reads back", () => {
    const dev = bootDrmDevice();
    const f = dev.open("app");
    f.ioctl("BO_CREATE", { size: 2 * PG });
    const m = f.mmap(1);
    m.write(PG - 2, [1, 2, 3, 4]);
    const frames = dev.state().gem[0]!.pages!;
    const writes = dev.events("MemoryWritten").map((e) => (e.payload as { agent: string; pa: number }));
    expect(writes.at(-1)).toMatchObject({ agent: "cpu" });
    expect(writes.some((w) => w.pa === frames[0]![0] * PG + PG - 2)).toBe(true);
    expect([...m.read(PG - 4, 8)]).toEqual([0, 0, 1, 2, 3, 4, 0, 0]);
  });

  it("answers -ENOENT for an unknown handle, -EINVAL for pad, -EPERM for a NO_MMAP BO", () => {
    const f = bootDrmDevice().open("app");
    expect(f.ioctl("BO_MMAP_OFFSET", { handle: 1 }).ret).toBe(neg("ENOENT"));
    f.ioctl("BO_CREATE", { size: PG, flags: 1 });
    expect(f.ioctl("BO_MMAP_OFFSET", { handle: 1, pad: 3 }).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("BO_MMAP_OFFSET", { handle: 1 }).ret).toBe(neg("EPERM"));
  });

  it("refuses another client's handles and mappings: -ENOENT, -EACCES, -EFAULT, and GEM_CLOSE -EINVAL", () => {
    const dev = bootDrmDevice();
    const a = dev.open("a");
    const b = dev.open("b");
    a.ioctl("BO_CREATE", { size: PG });
    const offset = a.ioctl("BO_MMAP_OFFSET", { handle: 1 }).out.offset as number;
    a.mmap(1).write(0, [7]);
    expect(b.ioctl("BO_MMAP_OFFSET", { handle: 1 }).ret).toBe(neg("ENOENT"));
    expect(b.ioctl("GEM_CLOSE", { handle: 1 }).ret).toBe(neg("EINVAL"));
    expect(b.cpuAccess("mmap", offset, 0, PG).ret).toBe(neg("EACCES"));
    expect(b.cpuAccess("read", offset, 0, 1).ret).toBe(neg("EFAULT"));
    expect(b.cpuAccess("write", offset, 0, Uint8Array.of(1)).ret).toBe(neg("EFAULT"));
    expect(a.cpuAccess("read", offset, PG - 1, 2).ret).toBe(neg("EFAULT"));
  });

  it("closes handles: the same handle twice is -EINVAL, pad is -EINVAL", () => {
    const f = bootDrmDevice().open("app");
    f.ioctl("BO_CREATE", { size: PG });
    expect(f.ioctl("GEM_CLOSE", { handle: 1, pad: 1 }).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("GEM_CLOSE", { handle: 1 }).ret).toBe(0);
    expect(f.ioctl("GEM_CLOSE", { handle: 1 }).ret).toBe(neg("EINVAL"));
  });
});

describe("BO_SET_LABEL (1.4), BO_QUERY_INFO and BO_SYNC (1.7)", () => {
  it("sets and clears labels with panthor's checks", () => {
    const dev = bootDrmDevice();
    const f = dev.open("app");
    f.ioctl("BO_CREATE", { size: PG });
    expect(f.ioctl("BO_SET_LABEL", { handle: 1, label: "vertex buffer" }).ret).toBe(0);
    expect(dev.state().gem[0]!.label).toBe("vertex buffer");
    expect(f.ioctl("BO_SET_LABEL", { handle: 1, label: "x".repeat(4095) }).ret).toBe(0);
    expect(f.ioctl("BO_SET_LABEL", { handle: 1, label: "x".repeat(4096) }).ret).toBe(neg("E2BIG"));
    expect(f.ioctl("BO_SET_LABEL", { handle: 1, label: "bad" }).ret).toBe(neg("EFAULT"));
    expect(f.ioctl("BO_SET_LABEL", { handle: 2, label: "y" }).ret).toBe(neg("ENOENT"));
    expect(f.ioctl("BO_SET_LABEL", { handle: 1, pad: 1 }).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("BO_SET_LABEL", { handle: 1, label: 0 }).ret).toBe(0);
    expect(dev.state().gem[0]!.label).toBeNull();
  });

  it("does not know the 1.7 ioctls on a 1.5 device (-EINVAL), and answers them on a 1.7 one", () => {
    const old = bootDrmDevice().open("app");
    old.ioctl("BO_CREATE", { size: PG });
    expect(old.ioctl("BO_QUERY_INFO", { handle: 1 }).ret).toBe(neg("EINVAL"));
    const dev = bootDrmDevice(undefined, { uapiMinor: 7 });
    expect(dev.events("DrmDeviceRegistered")[0]!.payload).toMatchObject({ version: "1.7.0" });
    const f = dev.open("app");
    expect(f.ioctl("BO_CREATE", { size: PG, flags: 2 }).ret).toBe(0);
    expect(f.ioctl("BO_QUERY_INFO", { handle: 1 }).out).toEqual({ create_flags: 2, extra_flags: 0 });
    expect(f.ioctl("BO_QUERY_INFO", { handle: 2 }).ret).toBe(neg("ENOENT"));
    const op = (o: object) => ({ ops: { stride: 24, count: 1, array: [{ handle: 1, type: 0, offset: 0, size: PG, ...o }] } });
    expect(f.ioctl("BO_SYNC", op({})).ret).toBe(0);
    expect(f.ioctl("BO_SYNC", op({ type: 2 })).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("BO_SYNC", op({ size: 2 * PG })).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("BO_SYNC", op({ handle: 9 })).ret).toBe(neg("ENOENT"));
  });
});
