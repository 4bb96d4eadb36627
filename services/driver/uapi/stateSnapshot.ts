/**
 * The driver's memory-side state as plain JSON — what debugfs would show (`gems`, the VMs and
 * their mappings, AS slots) — for `replay --until`, the actor's snapshot and tests that compare
 * the GPUVM trees with the page tables in RAM. Frame lists are run-length encoded as
 * `[first, count]` extents so a large BO stays small.
 */
import { isSignaled } from "../../fence/index.ts";
import { userVas } from "../../gpuvm/index.ts";
import type { PanthorGroup } from "../sched/schedTypes.ts";
import type { DriverState, PanthorVm } from "./driverState.ts";
import { isKernelObj } from "./kernelBo.ts";

/** One group as JSON: state, slot, flags, and per queue its ring position and jobs on the ring. */
export function describeGroup(g: PanthorGroup) {
  return {
    file: g.file, handle: g.handle, vmId: g.vm.id, priority: g.priority, state: g.state, csg: g.csgId ?? null,
    timedout: g.timedout, fatalQueues: g.fatalQueues, innocent: g.innocent, destroyed: g.destroyed,
    queues: g.queues.map((q) => ({ index: q.index, ringVa: q.ring.va, ringSize: q.ringSize, insert: q.insert, ringSeqno: q.ringSeqno, onRing: q.onRing.map((j) => j.id), submitted: q.submitted.size })),
  };
}

/** Frames as ascending runs `[first, count]` (order kept; a run breaks where frames are not consecutive). */
export function frameExtents(frames: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const f of frames) {
    const last = out[out.length - 1];
    if (last !== undefined && last[0] + last[1] === f) last[1]++;
    else out.push([f, 1]);
  }
  return out;
}

/** One VM as JSON. */
export function describeVm(vm: PanthorVm) {
  return {
    id: vm.id,
    uid: vm.uid,
    status: vm.status,
    as: vm.as ?? null,
    pgd: vm.pt.pgdPa,
    userVaRange: vm.layout.userVaRange,
    vas: userVas(vm.gpuvm).filter((v) => v.obj === null || !isKernelObj(v.obj)).map((v) => ({ addr: v.addr, range: v.range, obj: v.obj, offset: v.offset, flags: v.flags })),
    /** Kernel BOs mapped at kernel VAs (rings, sync objects, heap chunks); frames in `kernelBos`. */
    kernelVas: userVas(vm.gpuvm).filter((v) => v.obj !== null && isKernelObj(v.obj)).map((v) => ({ addr: v.addr, range: v.range, obj: v.obj, offset: v.offset, flags: v.flags })),
    bindQueue: vm.bindQueue.map((j) => ({ seq: j.seq, type: j.prepared.type, ready: j.waits.every((f) => isSignaled(f)) })),
  };
}

/** The whole memory side as JSON. */
export function describeDriverState(d: DriverState) {
  return {
    files: [...d.files.values()].map((f) => ({
      id: f.id,
      client: f.client,
      status: f.status,
      handles: [...(d.gem.files.get(f.id) ?? new Map<number, number>())].sort(([a], [b]) => a - b),
      vms: [...f.vms.values()].sort((a, b) => a.id - b.id).map(describeVm),
      syncobjs: d.syncobjs.handlesOf(f.id),
      mappings: [...f.mappings].map(([offset, m]) => ({ offset, obj: m.obj, length: m.length, count: m.count })),
    })),
    gem: [...d.gem.objects.values()].map((o) => ({
      obj: o.obj, size: o.size, flags: o.flags, handles: o.handles, pins: o.pinCount, gpuMappings: o.gpuMappings, jobRefs: o.jobRefs,
      madv: o.madv, mmapOffset: o.mmapOffset ?? null, pages: o.pages === undefined ? null : frameExtents(o.pages), label: d.labels.get(o.obj) ?? null,
    })),
    asSlots: [...d.asSlots].sort(([a], [b]) => a - b).map(([as, vm]) => ({ as, file: vm.file, vmId: vm.id })),
    faultyMask: d.faultyMask,
    ptPoolFreeFrames: d.ptMem.freeFrameCount,
    kernelBos: d.kernelPages.entries().map(([obj, frames]) => ({ obj, pages: frameExtents(frames) })),
    kernelFreeFrames: d.kernelPages.freeFrameCount,
    groups: [...d.files.values()].flatMap((f) => [...f.groups.values()].map((g) => describeGroup(g))),
    sched: d.sched === undefined ? null : {
      mode: d.sched.mode, ticks: d.sched.ticks, busy: d.sched.busy, nextTickNs: d.sched.nextTickNs ?? null,
      slots: d.sched.slots.map((s, csg) => ({ csg, group: s.group === undefined ? null : { file: s.group.file, handle: s.group.handle }, priority: s.priority, idle: s.idle })),
    },
    gemFreeFrames: d.gem.pool.free.reduce((n, e) => n + e.count, 0),
  };
}
