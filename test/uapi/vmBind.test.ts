import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { neg } from "../../services/workload/drmClient.ts";
import { AS_COMMAND, asRegister } from "../../shared/gpu/registers.ts";
import { bindArgs, bootDrmDevice, mapOp, unmapOp } from "../support/drmDevice.ts";
import { expectedRanges, framesByObject, tableRanges } from "../support/pageTableCheck.ts";

const PG = 4096;
const MiB = 1024 * 1024;
const VA = 0x10_0000;
const NAMES = Object.fromEntries(Object.entries(AS_COMMAND).map(([k, v]) => [v, k]));

/** A device with one client, one VM and BOs of the given sizes (handles 1..n). */
function withBos(...sizes: number[]) {
  const dev = bootDrmDevice();
  const f = dev.open("app");
  expect(f.ioctl("VM_CREATE").ret).toBe(0);
  for (const size of sizes) expect(f.ioctl("BO_CREATE", { size }).ret).toBe(0);
  return { dev, f };
}

/** Every VM's page tables, walked in RAM, against its GPUVM VAs × the BOs' frames. */
function expectTablesMatchGpuvm(dev: ReturnType<typeof bootDrmDevice>): void {
  const s = dev.state();
  const frames = framesByObject(s);
  for (const file of s.files) for (const vm of file.vms) expect(tableRanges(dev.mem, vm)).toEqual(expectedRanges(vm, frames));
}

describe("VM_BIND, synchronous (IGT-style)", () => {
  it("maps a BO and the page tables in RAM translate its VAs to the BO's frames", () => {
    // given a VM and an 8 KiB BO, when it is mapped at 1 MiB
    const { dev, f } = withBos(8192);
    expect(f.ioctl("VM_BIND", bindArgs(1, [mapOp(1, VA, 8192)])).ret).toBe(0);
    // then the GPUVM tree holds the VA and the tables the MMU walks agree with it
    const vm = dev.state().files[0]!.vms[0]!;
    expect(vm.vas).toEqual([{ addr: VA, range: 8192, obj: 1, offset: 0, flags: 0 }]);
    expect(tableRanges(dev.mem, vm)).toHaveLength(1);
    expectTablesMatchGpuvm(dev);
  });

  it("refuses misaligned va, size and bo_offset with -EINVAL and reports the failing op in ops.count", () => {
    const { f } = withBos(4 * PG);
    for (const bad of [mapOp(1, VA + 1, PG), mapOp(1, VA, PG + 1), mapOp(1, VA, PG, { offset: 100 })]) {
      const r = f.ioctl("VM_BIND", bindArgs(1, [mapOp(1, VA + 8 * PG, PG), bad]));
      expect(r.ret).toBe(neg("EINVAL"));
      expect(r.out).toEqual({ ops: { count: 1 } });
    }
  });

  it("refuses ranges past the BO or into the kernel VA with -EINVAL", () => {
    const { f } = withBos(4 * PG);
    expect(f.ioctl("VM_BIND", bindArgs(1, [mapOp(1, VA, 8 * PG)])).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("VM_BIND", bindArgs(1, [mapOp(1, VA, 2 * PG, { offset: 3 * PG })])).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("VM_BIND", bindArgs(1, [mapOp(1, 2 ** 47 - PG, 2 * PG)])).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("VM_BIND", bindArgs(1, [mapOp(1, "18446744073709547520" as never, PG)])).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("VM_BIND", bindArgs(1, [unmapOp(2 ** 47, PG)])).ret).toBe(neg("EINVAL"));
  });

  it("refuses an UNMAP carrying a BO handle or offset with -EINVAL (IGT vm_unbind_invalid_address)", () => {
    const { f } = withBos(PG);
    expect(f.ioctl("VM_BIND", bindArgs(1, [mapOp(1, VA, PG)])).ret).toBe(0);
    expect(f.ioctl("VM_BIND", bindArgs(1, [{ ...unmapOp(VA, PG), bo_handle: 1 }])).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("VM_BIND", bindArgs(1, [{ ...unmapOp(VA, PG), bo_offset: PG }])).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("VM_BIND", bindArgs(1, [unmapOp(VA, PG)])).ret).toBe(0);
  });

  it("refuses unknown BO handles and VM ids — another client's included — with -EINVAL", () => {
    const { dev, f } = withBos(PG);
    const other = dev.open("other");
    expect(other.ioctl("VM_CREATE").ret).toBe(0);
    expect(f.ioctl("VM_BIND", bindArgs(1, [mapOp(7, VA, PG)])).ret).toBe(neg("EINVAL"));
    // the other client has VM 1 of its own but no BO 1
    expect(other.ioctl("VM_BIND", bindArgs(1, [mapOp(1, VA, PG)])).ret).toBe(neg("EINVAL"));
    expect(other.ioctl("VM_BIND", bindArgs(2, [unmapOp(VA, PG)])).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("VM_BIND", bindArgs(9, [unmapOp(VA, PG)])).ret).toBe(neg("EINVAL"));
  });

  it("checks the generic argument rules: flags, syncs on a synchronous bind, stride, tail bytes, bad pointers", () => {
    const { f } = withBos(PG);
    expect(f.ioctl("VM_BIND", { ...bindArgs(1, [mapOp(1, VA, PG)]), flags: 2 }).ret).toBe(neg("EINVAL"));
    const withSync = { ...mapOp(1, VA, PG), syncs: { stride: 16, count: 1, array: [{ flags: 0, handle: 1 }] } };
    expect(f.ioctl("VM_BIND", bindArgs(1, [withSync])).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("VM_BIND", { vm_id: 1, ops: { stride: 40, count: 1, array: [mapOp(1, VA, PG)] } }).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("VM_BIND", { vm_id: 1, ops: { stride: 56, count: 1, array: [{ ...mapOp(1, VA, PG), tail: [0, 0, 1] }] } }).ret).toBe(neg("E2BIG"));
    expect(f.ioctl("VM_BIND", { vm_id: 1, ops: { stride: 56, count: 1, array: [{ ...mapOp(1, VA, PG), tail: [0, 0] }] } }).ret).toBe(0);
    expect(f.ioctl("VM_BIND", { vm_id: 1, ops: { stride: 48, count: 2, array: [unmapOp(VA, PG)] } }).ret).toBe(neg("EFAULT"));
    expect(f.ioctl("VM_BIND", { vm_id: 1, ops: { stride: 48, count: 1, array: "bad" } }).ret).toBe(neg("EFAULT"));
    expect(f.ioctl("VM_BIND", { vm_id: 1, ops: { stride: 0, count: 0, array: "bad" } }).ret).toBe(0);
    expect(f.ioctl("VM_BIND", { vm_id: "one" }).ret).toBe(neg("EINVAL"));
  });

  it("maps an exclusive BO only into the VM it was created for", () => {
    const { f } = withBos();
    expect(f.ioctl("VM_CREATE").ret).toBe(0);
    expect(f.ioctl("BO_CREATE", { size: PG, exclusive_vm_id: 1 }).ret).toBe(0);
    expect(f.ioctl("VM_BIND", bindArgs(2, [mapOp(1, VA, PG)])).ret).toBe(neg("EINVAL"));
    expect(f.ioctl("VM_BIND", bindArgs(1, [mapOp(1, VA, PG)])).ret).toBe(0);
    // a VM that reuses the id of the destroyed one is not the BO's VM
    expect(f.ioctl("VM_BIND", bindArgs(1, [unmapOp(VA, PG)])).ret).toBe(0);
    expect(f.ioctl("VM_DESTROY", { id: 1 }).ret).toBe(0);
    expect(f.ioctl("VM_CREATE").out.id).toBe(1);
    expect(f.ioctl("VM_BIND", bindArgs(1, [mapOp(1, VA, PG)])).ret).toBe(neg("EINVAL"));
  });

  it("splits a 2 MiB block when part of it is unmapped and keeps the rest translating", () => {
    // given a 4 MiB BO mapped 2 MiB-aligned: its tables use 2 MiB blocks
    const { dev, f } = withBos(4 * MiB);
    expect(f.ioctl("VM_BIND", bindArgs(1, [mapOp(1, 2 * MiB, 4 * MiB)])).ret).toBe(0);
    expect(tableRanges(dev.mem, dev.state().files[0]!.vms[0]!)).toEqual([expect.objectContaining({ iova: 2 * MiB, size: 4 * MiB })]);
    // when one page in the middle of the first block is unmapped
    expect(f.ioctl("VM_BIND", bindArgs(1, [unmapOp(3 * MiB, PG)])).ret).toBe(0);
    // then exactly that page is gone
    const ranges = tableRanges(dev.mem, dev.state().files[0]!.vms[0]!);
    expect(ranges.map((r) => [r.iova, r.size])).toEqual([[2 * MiB, MiB], [3 * MiB + PG, 3 * MiB - PG]]);
    expectTablesMatchGpuvm(dev);
  });

  it("unpins a BO when its last mapping goes, and frees it once its handle is closed too", () => {
    const { dev, f } = withBos(PG);
    expect(f.ioctl("VM_BIND", bindArgs(1, [mapOp(1, VA, PG), mapOp(1, VA + PG, PG)])).ret).toBe(0);
    expect(f.ioctl("GEM_CLOSE", { handle: 1 }).ret).toBe(0);
    expect(dev.state().gem).toHaveLength(1);
    expect(f.ioctl("VM_BIND", bindArgs(1, [unmapOp(VA, 2 * PG)])).ret).toBe(0);
    expect(dev.state().gem).toHaveLength(0);
    expect(dev.events("GemObjectFreed")).toHaveLength(1);
  });
});

describe("VM_BIND on a resident VM (panthor.md §5.3)", () => {
  it("locks the region, writes the tables, then FLUSH_PT and UNLOCK, polling AS_STATUS after each command", () => {
    // given a VM made resident on an AS
    const { dev, f } = withBos(2 * PG);
    const { as } = dev.activate(f.fd, 1);
    expect(as).toBe(1);
    const from = dev.sink.events.length;
    // when a BO is mapped
    expect(f.ioctl("VM_BIND", bindArgs(1, [mapOp(1, VA, 2 * PG)])).ret).toBe(0);
    // then the driver's accesses follow the lock / edit / flush / unlock sequence
    const story = dev.sink.events.slice(from).flatMap((e) => {
      const p = e.payload as { offset: number; value: number };
      if (e.type === "MmioWriteIssued" && p.offset === asRegister(1, "COMMAND")) return [`AS_COMMAND ${NAMES[p.value]}`];
      if (e.type === "MemoryWritten") return ["page table"];
      if (e.type === "MmioReadIssued" && p.offset === asRegister(1, "STATUS")) return ["poll"];
      if (e.type === "MmioWriteIssued" && p.offset === asRegister(1, "LOCKADDR_LO")) return [`LOCKADDR 0x${p.value.toString(16)}`];
      return [];
    });
    const dedup = story.filter((s, i) => !(s === story[i - 1] && (s === "poll" || s === "page table")));
    expect(dedup).toEqual(["LOCKADDR 0x10000e", "AS_COMMAND LOCK", "poll", "page table", "AS_COMMAND FLUSH_PT", "poll", "AS_COMMAND UNLOCK", "poll"]);
    expectTablesMatchGpuvm(dev);
  });

  it("gives VMs the first free AS above AS0 and, when all are taken, evicts the least recently used idle VM", () => {
    // given 9 VMs, the first 7 activated (and left idle: on the LRU, keeping their AS)
    const dev = bootDrmDevice();
    const f = dev.open("app");
    for (let i = 0; i < 9; i++) expect(f.ioctl("VM_CREATE").ret).toBe(0);
    expect([1, 2, 3, 4, 5, 6, 7].map((id) => dev.activate(f.fd, id).as)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // when VM 1 is used again it moves to the LRU tail, so the 8th VM takes VM 2's AS
    expect(dev.activate(f.fd, 1).as).toBe(1);
    expect(dev.activate(f.fd, 8).as).toBe(2);
    expect(dev.events("VmAsReleased").map((e) => e.payload)).toEqual([{ file: 1, vmId: 2, as: 2 }]);
    // and an unknown VM is -EINVAL; a destroyed VM's AS is free again for the next one
    expect(dev.activate(f.fd, 10).errno).toBe(neg("EINVAL"));
    expect(f.ioctl("VM_DESTROY", { id: 3 }).ret).toBe(0);
    expect(dev.activate(f.fd, 9).as).toBe(3);
  });
});

describe("after every VM_BIND the page tables in RAM agree with the GPUVM tree (property, seed 5)", () => {
  const BO_PAGES = [3, 8, 5, 1024];
  const op = fc.oneof(
    fc.record({ h: fc.integer({ min: 1, max: BO_PAGES.length }), off: fc.integer({ min: 0, max: 7 }), at: fc.integer({ min: 0, max: 2047 }), n: fc.integer({ min: 1, max: 1024 }), ro: fc.boolean() })
      .map(({ h, off, at, n, ro }) => mapOp(h, 2 * MiB + at * PG, Math.min(n, BO_PAGES[h - 1]! - Math.min(off, BO_PAGES[h - 1]! - 1)) * PG, { offset: Math.min(off, BO_PAGES[h - 1]! - 1) * PG, flags: ro ? 1 : 0 })),
    fc.record({ at: fc.integer({ min: 0, max: 2047 }), n: fc.integer({ min: 1, max: 1100 }) }).map(({ at, n }) => unmapOp(2 * MiB + at * PG, n * PG)),
  );
  it("holds for random map/unmap sequences, 2 MiB blocks and their splits included", () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 12 }), fc.boolean(), (ops, resident) => {
        const { dev, f } = withBos(...BO_PAGES.map((n) => n * PG));
        if (resident) dev.activate(f.fd, 1);
        for (const o of ops) {
          const r = f.ioctl("VM_BIND", bindArgs(1, [o]));
          expect([0, neg("EINVAL")]).toContain(r.ret);
          expectTablesMatchGpuvm(dev);
        }
        expect(dev.events("ActorHandlerFailed")).toEqual([]);
      }),
      { seed: 5, numRuns: 40 },
    );
  });
});
