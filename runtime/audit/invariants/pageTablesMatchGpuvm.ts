import type { Envelope } from "../../../shared/events/envelope.ts";
import { EventRegistry } from "../../../shared/events/registry.ts";
import { PAGE_SIZE } from "../../../shared/gpu/physicalMemory.ts";
import { DrmFileClosed, IoctlCompleted, IoctlIssued, VmActivated, VmAsReleased } from "../../../services/driver/uapi/uapiEvents.ts";
import { GemHandleClosed, GemObjectCreated, GemPagesAllocated } from "../../../services/gem/gemEvents.ts";
import { DRM_PANTHOR_VM_BIND_ASYNC, DRM_PANTHOR_VM_BIND_OP as OP } from "../../../services/gpuvm/vmBind.ts";
import { walk } from "../../../services/mmu/walk.ts";
import { gpuOf, refOf, type EventRef } from "../eventRef.ts";
import { AS_TABLE_EVENTS, AsTables } from "./asTables.ts";
import type { InvariantDef } from "./invariant.ts";

/** What GPUVM says one page of a VM maps: a page of a GEM object, read-only or not. */
interface GpuvmPage { readonly obj: number; readonly index: number; readonly readonly: boolean }
interface Vm { pages: Map<number, GpuvmPage>; as: number | undefined; known: boolean }
interface BindOp { flags: number; bo_handle?: number; bo_offset?: number; va: number; size: number }

/**
 * After every VM_BIND the page tables agree with GPUVM: GPUVM's view is rebuilt from the log —
 * each successful synchronous VM_BIND's MAP/UNMAP ops (page by page, a MAP replacing what it
 * overlaps, as `drm_gpuvm_sm_map` does), BO handles and their pages from the GEM events — and
 * whenever the VM is resident on an AS (at `VmActivated`, and after each bind while resident) the
 * AS's tables are walked: a mapped page must translate to its BO page with the right write
 * permission, an unmapped one must not translate. A VM that saw an asynchronous bind or sparse
 * ops is no longer checked (the log does not say which op its bind job carried).
 */
export const pageTablesMatchGpuvm: InvariantDef = {
  name: "page-tables-match-gpuvm",
  statement: "after every VM_BIND on a resident VM its page tables agree with GPUVM's mappings",
  reads: [...AS_TABLE_EVENTS, GemObjectCreated, GemHandleClosed, GemPagesAllocated, IoctlIssued, IoctlCompleted, VmActivated, VmAsReleased, DrmFileClosed],
  create(report, ctx) {
    const tables = new Map<number, AsTables>();
    const handles = new Map<string, number>();
    const frames = new Map<string, readonly number[]>();
    const vms = new Map<string, Vm>();
    const issued = new Map<string, { ref: EventRef; vm: string; ops: BindOp[]; async: boolean; handles: Map<number, number> }>();
    const vmOf = (key: string) => vms.get(key) ?? vms.set(key, { pages: new Map(), as: undefined, known: true }).get(key)!;

    const check = (gpu: number, vm: Vm, vas: Iterable<number>, proof: EventRef[], at: Envelope) => {
      const table = vm.as === undefined ? undefined : tables.get(gpu)?.table(vm.as);
      if (table?.pt === undefined || !vm.known) return;
      for (const va of vas) {
        const want = vm.pages.get(va);
        const got = walk(table.pt, va, "read");
        const pa = want === undefined ? undefined : frames.get(`${gpu}/${want.obj}`)?.[want.index];
        let why: string | undefined;
        if (want === undefined) why = got.ok ? `0x${va.toString(16)} is unmapped in GPUVM but translates to PA 0x${got.pa.toString(16)}` : undefined;
        else if (!got.ok) why = `0x${va.toString(16)} maps BO ${want.obj} page ${want.index} in GPUVM but the page tables say ${got.kind} fault`;
        else if (pa !== undefined && got.pa !== pa * PAGE_SIZE) why = `0x${va.toString(16)} translates to PA 0x${got.pa.toString(16)}, GPUVM maps BO ${want.obj} page ${want.index} at 0x${(pa * PAGE_SIZE).toString(16)}`;
        else if (got.perms.write === want.readonly) why = `0x${va.toString(16)} is ${want.readonly ? "read-only" : "writable"} in GPUVM but ${got.perms.write ? "writable" : "read-only"} in the page tables`;
        if (why !== undefined) report({ message: `AS${vm.as}: ${why}`, timeNs: at.timeNs, gpu, events: [table.update, ...proof, refOf(at)] });
      }
    };

    return {
      push(e) {
        const gpu = gpuOf(e) ?? 0;
        (tables.get(gpu) ?? tables.set(gpu, new AsTables(ctx.model)).get(gpu)!).push(e);
        if (EventRegistry.is(GemObjectCreated, e)) handles.set(`${gpu}/${e.payload.file}/${e.payload.handle}`, e.payload.obj);
        else if (EventRegistry.is(GemHandleClosed, e)) handles.delete(`${gpu}/${e.payload.file}/${e.payload.handle}`);
        else if (EventRegistry.is(GemPagesAllocated, e)) frames.set(`${gpu}/${e.payload.obj}`, e.payload.frames);
        else if (EventRegistry.is(IoctlIssued, e) && e.payload.ioctl === "VM_BIND") {
          const a = (e.payload.args ?? {}) as { vm_id?: number; flags?: number; ops?: { array?: BindOp[] } };
          const ops = Array.isArray(a.ops?.array) ? a.ops.array : [];
          const own = new Map(ops.filter((o) => typeof o.bo_handle === "number").map((o) => [o.bo_handle!, handles.get(`${gpu}/${e.payload.file}/${o.bo_handle}`) ?? -1]));
          issued.set(`${gpu}/${e.payload.file}/${e.payload.tag}`, { ref: refOf(e), vm: `${gpu}/${e.payload.file}/${a.vm_id}`, ops, async: ((a.flags ?? 0) & DRM_PANTHOR_VM_BIND_ASYNC) !== 0, handles: own });
        } else if (EventRegistry.is(IoctlCompleted, e) && e.payload.ioctl === "VM_BIND") {
          const key = `${gpu}/${e.payload.file}/${e.payload.tag}`;
          const b = issued.get(key);
          issued.delete(key);
          if (b === undefined || e.payload.ret !== 0) return;
          const vm = vmOf(b.vm);
          const touched: number[] = [];
          for (const op of b.ops) {
            const type = ((op.flags >>> 0) & OP.TYPE_MASK) >>> 0;
            if (b.async || (type !== OP.TYPE_MAP && type !== OP.TYPE_UNMAP && type !== OP.TYPE_SYNC_ONLY)) vm.known = false;
            for (let off = 0; type !== OP.TYPE_SYNC_ONLY && off < op.size; off += PAGE_SIZE) {
              touched.push(op.va + off);
              if (type === OP.TYPE_UNMAP) vm.pages.delete(op.va + off);
              else vm.pages.set(op.va + off, { obj: b.handles.get(op.bo_handle ?? -1) ?? -1, index: ((op.bo_offset ?? 0) + off) / PAGE_SIZE, readonly: (op.flags & OP.MAP_READONLY) !== 0 });
            }
          }
          check(gpu, vm, touched, [b.ref], e);
        } else if (EventRegistry.is(VmActivated, e)) {
          const vm = vmOf(`${gpu}/${e.payload.file}/${e.payload.vmId}`);
          vm.as = e.payload.as;
          check(gpu, vm, vm.pages.keys(), [], e);
        } else if (EventRegistry.is(VmAsReleased, e)) {
          vmOf(`${gpu}/${e.payload.file}/${e.payload.vmId}`).as = undefined;
        } else if (EventRegistry.is(DrmFileClosed, e)) {
          for (const k of [...vms.keys()]) if (k.startsWith(`${gpu}/${e.payload.file}/`)) vms.delete(k);
        }
      },
      finish() {},
    };
  },
};
