/**
 * DRM_IOCTL_PANTHOR_VM_BIND (`panthor_ioctl_vm_bind`, panthor.md §1.6, §5.5).
 *
 * Synchronous (`panthor_ioctl_vm_bind_sync`): ops run one by one under the MMU lock; the first
 * failure stops the ioctl and `ops.count` is written back as the index of the failing op (ops
 * before it stay applied).
 *
 * Asynchronous (`panthor_ioctl_vm_bind_async`): all-or-nothing. Every op is checked
 * (`panthor_vm_bind_job_create`) and its sync ops copied and checked (`panthor_check_sync_op`);
 * then the signal syncobjs are looked up (-EINVAL if missing), then the in-fences
 * (`drm_syncobj_find_fence`: -ENOENT for an unknown handle, -EINVAL for a point not submitted —
 * a point an earlier op of the same call signals is taken from that op, as
 * `panthor_submit_ctx_search_sync_signal` does). Only then are the jobs queued on the VM and their
 * finished fences attached to the signal syncobjs (a chain point for timeline syncobjs).
 */
import { z } from "zod";
import { ERRNO } from "../../../shared/gpu/errno.ts";
import { lookupHandle } from "../../gem/index.ts";
import { DRM_PANTHOR_VM_BIND_ASYNC, prepareBindOp, type PreparedBindOp, type VmBindOpArgs, type VmBindTarget } from "../../gpuvm/index.ts";
import type { DmaFence } from "../../fence/index.ts";
import type { KTask } from "../ktask.ts";
import type { BindJob, PanthorVm } from "./driverState.ts";
import { gemRun } from "./gemShell.ts";
import { fail, failed, ok, type IoctlCtx, type IoctlResult } from "./ioctlContext.ts";
import type { DrmSyncobj } from "./syncobj.ts";
import { collectInFences } from "./inFences.ts";
import { isSignalOp, isTimeline, SYNC_OP_SIZE, SyncOpSchema, syncOpValid, type SyncOp } from "./syncOps.ts";
import { copyObjArray, num, ObjArraySchema, parseArgs, U32, U64 } from "./userArgs.ts";
import { vmExecOp } from "./vmExec.ts";

/** Re-exported for callers that know it from here (`enum drm_panthor_sync_op_flags`). */
export { DRM_PANTHOR_SYNC_OP } from "./syncOps.ts";

const BindOpSchema = z.object({ flags: U32, bo_handle: U32, bo_offset: U64, va: U64, size: U64, syncs: ObjArraySchema });
/** `struct drm_panthor_vm_bind_op`: 48 bytes, mandatory up to `syncs`. */
const BIND_OP_SIZE = { size: 48, minSize: 48 };
const VmBindArgs = z.object({ vm_id: U32, flags: U32, ops: ObjArraySchema });

type BindOp = z.infer<typeof BindOpSchema>;

/** What prepareBindOp sees of the VM and the caller's handles. Exclusive BOs compare by VM uid. */
function bindTarget(c: IoctlCtx, vm: PanthorVm): VmBindTarget {
  return {
    vm: vm.gpuvm,
    ref: { file: 0, vmId: vm.uid },
    kernelVaStart: vm.layout.kernelVaStart,
    unusable: vm.status === "unusable",
    destroyed: vm.status === "destroyed",
    lookupBo: (h) => {
      const o = lookupHandle(c.d.gem, c.file.id, h);
      if (o === undefined) return undefined;
      const owner = c.d.exclusiveOwner.get(o.obj);
      return { obj: o.obj, size: o.size, ...(owner !== undefined && { exclusiveVm: { file: 0, vmId: owner } }) };
    },
  };
}

function opArgs(op: BindOp): VmBindOpArgs {
  return { flags: op.flags, boHandle: op.bo_handle, boOffset: num(op.bo_offset), va: num(op.va), size: num(op.size), syncCount: op.syncs.count };
}

function* bindSync(c: IoctlCtx, vm: PanthorVm, ops: readonly BindOp[]): KTask<IoctlResult> {
  for (const [i, op] of ops.entries()) {
    const p = prepareBindOp(bindTarget(c, vm), opArgs(op), false);
    const ret = p.ok ? yield* vmExecOp(c.d, vm, p.prepared) : -ERRNO[p.errno];
    if (ret !== 0) return { ret, out: { ops: { count: i } } };
  }
  return ok();
}

interface Staged {
  readonly prepared: PreparedBindOp;
  readonly syncs: readonly SyncOp[];
  readonly done: DmaFence;
}

function* bindAsync(c: IoctlCtx, vm: PanthorVm, ops: readonly BindOp[]): KTask<IoctlResult> {
  const { d, file } = c;
  const staged: Staged[] = [];
  for (const [i, op] of ops.entries()) {
    const p = prepareBindOp(bindTarget(c, vm), opArgs(op), true);
    if (!p.ok) return fail(p.errno);
    const syncs = copyObjArray(op.syncs, SYNC_OP_SIZE, SyncOpSchema);
    if (!syncs.ok) return failed(syncs);
    if (!syncs.value.every(syncOpValid)) return fail("EINVAL");
    const done = d.fences.create({ context: vm.fenceContext, seqno: vm.nextBindSeq + i, driverName: "panthor", timelineName: `vm${vm.uid}-bind` });
    staged.push({ prepared: p.prepared, syncs: syncs.value, done });
  }
  const signals = new Map<string, DrmSyncobj>();
  for (const s of staged.flatMap((j) => j.syncs.filter(isSignalOp))) {
    const obj = d.syncobjs.lookup(file.id, s.handle);
    if (obj === undefined) return fail("EINVAL");
    signals.set(`${s.handle}`, obj);
  }
  const collected = collectInFences(d.syncobjs, file.id, c.now(), staged, (i) => (staged[i] as Staged).done);
  if (!collected.ok) return fail(collected.errno);
  const waits = collected.waits;
  for (const [i, job] of staged.entries()) {
    if (job.prepared.type === "map") yield* gemRun(d, { type: "jobGet", obj: job.prepared.bo.obj });
    const queued: BindJob = { seq: vm.nextBindSeq + i, prepared: job.prepared, waits: waits[i]!, done: job.done };
    vm.bindQueue.push(queued);
    for (const s of job.syncs.filter(isSignalOp)) {
      const obj = signals.get(`${s.handle}`)!;
      if (isTimeline(s)) d.syncobjs.addPoint(obj, job.done, s.timeline_value);
      else d.syncobjs.replaceFence(obj, job.done);
    }
  }
  vm.nextBindSeq += staged.length;
  return ok();
}

/**
 * `panthor_ioctl_vm_bind`: unknown bind flags or VM id → -EINVAL, the ops array copied
 * (-EINVAL/-E2BIG/-EFAULT), then the synchronous or asynchronous path. Out on a synchronous
 * failure: `ops.count`, the index of the op that failed.
 */
export function* vmBind(c: IoctlCtx, raw: unknown): KTask<IoctlResult> {
  const a = parseArgs(VmBindArgs, raw);
  if (!a.ok) return failed(a);
  const { vm_id, flags } = a.value;
  if ((flags & ~DRM_PANTHOR_VM_BIND_ASYNC) !== 0) return fail("EINVAL");
  const async = (flags & DRM_PANTHOR_VM_BIND_ASYNC) !== 0;
  const vm = c.file.vms.get(vm_id);
  if (async && vm === undefined) return fail("EINVAL");
  const ops = copyObjArray(a.value.ops, BIND_OP_SIZE, BindOpSchema);
  if (!ops.ok) return failed(ops);
  if (vm === undefined) return fail("EINVAL");
  return async ? yield* bindAsync(c, vm, ops.value) : yield* bindSync(c, vm, ops.value);
}
