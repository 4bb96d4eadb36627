import { describe, expect, it } from "vitest";
import { IoctlIssued } from "../../services/driver/uapi/uapiEvents.ts";
import { neg } from "../../services/workload/drmClient.ts";
import { bootDrmDevice, G610, groupArgs, queueCreate, queueSubmit, submitArgs, SYNC } from "../support/drmDevice.ts";
import { createGroup, openClient } from "../support/submitWorld.ts";

describe("GROUP_CREATE, GROUP_DESTROY, GROUP_GET_STATE (panthor.md §1.8)", () => {
  it("refuses bad queue counts, priorities, pads, core masks, VMs and ring sizes with panthor's errno", () => {
    // given a client with a VM
    const dev = bootDrmDevice();
    const { f, vm } = openClient(dev, "app");
    const create = (more: Record<string, unknown>, queues: object[] = [queueCreate()]) => f.ioctl("GROUP_CREATE", groupArgs(vm, queues, more)).ret;
    // then queue counts: none, or more than the 8 CS of a CSG slot
    expect(create({}, [])).toBe(neg("EINVAL"));
    expect(create({}, Array.from({ length: 9 }, () => queueCreate()))).toBe(neg("EINVAL"));
    // priorities: HIGH and REALTIME need CAP_SYS_NICE (-EACCES), above REALTIME is -EINVAL
    expect(create({ priority: 2 })).toBe(neg("EACCES"));
    expect(create({ priority: 3 })).toBe(neg("EACCES"));
    expect(create({ priority: 4 })).toBe(neg("EINVAL"));
    // pad, core masks outside shader_present/tiler_present, more max cores than the mask has
    expect(create({ pad: 1 })).toBe(neg("EINVAL"));
    expect(create({ compute_core_mask: 0x50005 | 0x2 })).toBe(neg("EINVAL"));
    expect(create({ fragment_core_mask: 0x1_0000_0000 })).toBe(neg("EINVAL"));
    expect(create({ tiler_core_mask: 0x3 })).toBe(neg("EINVAL"));
    expect(create({ max_compute_cores: 5 })).toBe(neg("EINVAL"));
    expect(create({ max_tiler_cores: 2 })).toBe(neg("EINVAL"));
    // a VM the file does not have
    expect(create({ vm_id: vm + 1 })).toBe(neg("EINVAL"));
    // ring sizes: a power of two in [4 KiB, 64 KiB]; queue priority ≤ 15; queue pad
    for (const size of [0, 2048, 4096 + 8, 128 * 1024]) expect(create({}, [queueCreate(size)])).toBe(neg("EINVAL"));
    expect(create({}, [queueCreate(4096, 16)])).toBe(neg("EINVAL"));
    expect(create({}, [{ ...queueCreate(), pad: [0, 1, 0] }])).toBe(neg("EINVAL"));
    // the queue array's own rules: stride below 8, a bad pointer
    expect(f.ioctl("GROUP_CREATE", { ...groupArgs(vm), queues: { stride: 4, count: 1, array: [queueCreate()] } }).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("GROUP_CREATE", { ...groupArgs(vm), queues: { stride: 8, count: 1, array: "bad" } }).ret).toBe(neg("EFAULT"));
    // and valid groups get handles 1, 2 … with MEDIUM allowed and 64 KiB rings
    expect(f.ioctl("GROUP_CREATE", groupArgs(vm, [queueCreate(65536, 15)], { priority: 1 })).out.group_handle).toBe(1);
    expect(f.ioctl("GROUP_CREATE", groupArgs(vm)).out.group_handle).toBe(2);
    expect(dev.events("GroupCreated")).toHaveLength(2);
  });

  it("gives two GROUP_CREATEs of one file in flight together distinct handles (taken at insertion, as xa_alloc)", () => {
    // given a client with a VM
    const dev = bootDrmDevice();
    const c = openClient(dev, "app");
    // when two GROUP_CREATEs enter the driver in the same instant (two threads of the process)
    const at = dev.sim.scheduler.nowNs + 1;
    for (const tag of ["t1", "t2"]) dev.sim.input("app", IoctlIssued, "drv0.ioctl", { file: c.f.fd, ioctl: "GROUP_CREATE", args: groupArgs(c.vm), tag }, at);
    dev.sim.runUntil(() => dev.events("IoctlCompleted").filter((e) => ["t1", "t2"].includes((e.payload as { tag: string }).tag)).length === 2, at + 1_000_000_000);
    // then both succeed with different handles, and both groups exist
    const handles = dev.events("IoctlCompleted").filter((e) => ["t1", "t2"].includes((e.payload as { tag: string }).tag)).map((e) => (e.payload as { out: { group_handle: number } }).out.group_handle);
    expect(handles.sort()).toEqual([1, 2]);
    expect(c.f.ioctl("GROUP_GET_STATE", { group_handle: 1 }).ret).toBe(0);
    expect(c.f.ioctl("GROUP_GET_STATE", { group_handle: 2 }).ret).toBe(0);
  });

  it("numbers groups 1..128 per file and refuses the 129th with -EBUSY", () => {
    const dev = bootDrmDevice();
    const c = openClient(dev, "app");
    for (let i = 1; i <= 128; i++) expect(createGroup(c)).toBe(i);
    expect(c.f.ioctl("GROUP_CREATE", groupArgs(c.vm)).ret).toBe(neg("EBUSY"));
    // and a destroyed handle is handed out again
    expect(c.f.ioctl("GROUP_DESTROY", { group_handle: 7 }).ret).toBe(0);
    expect(createGroup(c)).toBe(7);
  }, 60_000);

  it("destroys and queries only the caller's groups: unknown handles and pad are -EINVAL", () => {
    const dev = bootDrmDevice();
    const a = openClient(dev, "a");
    const b = openClient(dev, "b");
    const g = createGroup(a);
    expect(b.f.ioctl("GROUP_GET_STATE", { group_handle: g }).ret).toBe(neg("EINVAL"));
    expect(b.f.ioctl("GROUP_DESTROY", { group_handle: g }).ret).toBe(neg("EINVAL"));
    expect(a.f.ioctl("GROUP_GET_STATE", { group_handle: g, pad: 1 }).ret).toBe(neg("EINVAL"));
    expect(a.f.ioctl("GROUP_DESTROY", { group_handle: g, pad: 1 }).ret).toBe(neg("EINVAL"));
    expect(a.f.ioctl("GROUP_GET_STATE", { group_handle: g }).out).toEqual({ state: 0, fatal_queues: 0 });
    expect(a.f.ioctl("GROUP_DESTROY", { group_handle: g }).ret).toBe(0);
    expect(a.f.ioctl("GROUP_DESTROY", { group_handle: g }).ret).toBe(neg("EINVAL"));
    expect(a.f.ioctl("GROUP_GET_STATE", { group_handle: g }).ret).toBe(neg("EINVAL"));
    expect(dev.events("GroupDestroyed").map((e) => e.payload)).toEqual([{ file: a.f.fd, group: g }]);
  });
});

describe("GROUP_SUBMIT argument checks (panthor.md §1.9)", () => {
  it("refuses malformed jobs, unknown groups and queues, and sync ops naming missing syncobjs", () => {
    const dev = bootDrmDevice();
    const c = openClient(dev, "app");
    const g = createGroup(c);
    const submit = (job: object, group = g) => c.f.ioctl("GROUP_SUBMIT", submitArgs(group, [job])).ret;
    expect(submit(queueSubmit(0, 0x10_0000, 64), 9)).toBe(neg("EINVAL"));
    expect(submit(queueSubmit(1, 0x10_0000, 64))).toBe(neg("EINVAL"));
    expect(submit(queueSubmit(0, 0x10_0000, 0))).toBe(neg("EINVAL"));
    expect(submit(queueSubmit(0, 0, 64))).toBe(neg("EINVAL"));
    expect(submit(queueSubmit(0, 0x10_0020, 64))).toBe(neg("EINVAL"));
    expect(submit(queueSubmit(0, 0x10_0000, 60))).toBe(neg("EINVAL"));
    expect(submit({ ...queueSubmit(0, 0x10_0000, 64), latest_flush: 1 << 24 })).toBe(neg("EINVAL"));
    expect(submit({ ...queueSubmit(0, 0x10_0000, 64), pad: 1 })).toBe(neg("EINVAL"));
    expect(c.f.ioctl("GROUP_SUBMIT", { ...submitArgs(g, []), pad: 1 }).ret).toBe(neg("EINVAL"));
    expect(c.f.ioctl("GROUP_SUBMIT", { group_handle: g, queue_submits: { stride: 32, count: 1, array: [queueSubmit(0, 0, 0)] } }).ret).toBe(neg("EINVAL"));
    expect(submit(queueSubmit(0, 0, 0, [{ flags: SYNC.WAIT, handle: 5 }]))).toBe(neg("ENOENT"));
    expect(submit(queueSubmit(0, 0, 0, [{ flags: SYNC.SIGNAL, handle: 5 }]))).toBe(neg("EINVAL"));
    const empty = c.f.syncobjCreate();
    expect(submit(queueSubmit(0, 0, 0, [{ flags: SYNC.WAIT, handle: empty }]))).toBe(neg("EINVAL"));
    expect(submit(queueSubmit(0, 0, 0, [{ flags: SYNC.SIGNAL, handle: empty, timeline_value: 3 }]))).toBe(neg("EINVAL"));
    // nothing was queued by any refused call; a sync-point job is accepted
    expect(dev.events("JobSubmitted")).toEqual([]);
    expect(submit(queueSubmit(0, 0, 0, [{ flags: SYNC.SIGNAL, handle: empty }]))).toBe(0);
    expect(c.f.syncobjWait([empty], { timeoutNs: 1_000_000 }).ret).toBe(0);
  });
});

describe("TILER_HEAP_CREATE and TILER_HEAP_DESTROY (panthor.md §1.10, §7.2)", () => {
  it("creates a heap context with its chunk chain, refuses bad arguments, and destroys it once", () => {
    const dev = bootDrmDevice();
    const { f, vm } = openClient(dev, "app");
    const args = { vm_id: vm, initial_chunk_count: 2, chunk_size: 128 * 1024, max_chunks: 4, target_in_flight: 1 };
    expect(f.ioctl("TILER_HEAP_DESTROY", { handle: vm << 16 }).ret).toBe(neg("ENOENT"));
    for (const bad of [{ initial_chunk_count: 0 }, { initial_chunk_count: 5 }, { chunk_size: 64 * 1024 }, { chunk_size: 128 * 1024 + 4 }, { chunk_size: 16 * 1024 * 1024 }, { target_in_flight: 0 }, { vm_id: vm + 1 }]) {
      expect(f.ioctl("TILER_HEAP_CREATE", { ...args, ...bad }).ret).toBe(neg("EINVAL"));
    }
    const r = f.ioctl("TILER_HEAP_CREATE", args);
    expect(r.ret).toBe(0);
    expect(r.out.handle).toBe(vm << 16);
    const ctx = r.out.tiler_heap_ctx_gpu_va as number;
    const first = r.out.first_heap_chunk_gpu_va as number;
    // both live in the kernel half of the VM's VA
    expect(ctx).toBeGreaterThanOrEqual(2 ** 47);
    expect(first).toBeGreaterThanOrEqual(2 ** 47);
    expect(f.ioctl("TILER_HEAP_CREATE", args).out.handle).toBe((vm << 16) | 1);
    expect(f.ioctl("TILER_HEAP_DESTROY", { handle: vm << 16 }).ret).toBe(0);
    expect(f.ioctl("TILER_HEAP_DESTROY", { handle: vm << 16 }).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("TILER_HEAP_DESTROY", { handle: (vm + 1) << 16 }).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("TILER_HEAP_DESTROY", { handle: (vm << 16) | 1, pad: 1 }).ret).toBe(neg("EINVAL"));
    expect(dev.events("TilerHeapCreated").map((e) => (e.payload as { chunks: number }).chunks)).toEqual([2, 2]);
    expect(G610.present.tiler_present).toBe(1);
  });
});
