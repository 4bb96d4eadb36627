/**
 * Per-file VM pools (`panthor_vm_pool_*` in panthor_mmu.c; panthor.md §1.5, §5.4, §5.5):
 * VM_CREATE, VM_DESTROY and VM_GET_STATE, and the VM lifecycle behind them —
 *
 *   usable ──(async VM_BIND failure, MMU fault on its AS)──► unusable
 *     └──────────────(VM_DESTROY, file close)──────────────► destroyed
 *
 * A VM owns an io-pgtable whose PGD comes from the page-table pool, a drm_gpuvm over the whole
 * GPU VA, the user/kernel split VM_CREATE negotiated, and a bind queue served by its own worker
 * task. Destroying it unmaps the whole VA range (BOs unpinned), cancels queued binds
 * (-ECANCELED on their fences), disables and frees its AS and frees the tables.
 *
 * Deviation: panthor reports UNUSABLE only after a failed async bind and keeps an MMU fault as
 * `vm->unhandled_fault`; tyrsim folds the fault into UNUSABLE, as issue 5 asks of VM_GET_STATE.
 */
import { z } from "zod";
import { ERRNO } from "../../../shared/gpu/errno.ts";
import { OutOfFramesError } from "../../../shared/gpu/physicalMemory.ts";
import { mmuPaBits } from "../../../shared/gpu/registerFields.ts";
import { signal } from "../../fence/index.ts";
import { createPanthorGpuVm, panthorVmLayout } from "../../gpuvm/index.ts";
import { createPageTable, freePageTable } from "../../mmu/pageTable.ts";
import { mutexLock, mutexUnlock, type KTask } from "../ktask.ts";
import { asRelease } from "../sched/asLru.ts";
import { destroyVmGroups } from "../sched/groupPool.ts";
import { destroyHeapPool } from "../sched/tilerHeap.ts";
import type { DriverState, DrmFileState, PanthorVm } from "./driverState.ts";
import { gemRun } from "./gemShell.ts";
import { fail, failed, ok, type IoctlCtx, type IoctlResult, type KernelCtx } from "./ioctlContext.ts";
import { publishTables } from "./ptUpdate.ts";
import { parseArgs, U32, U64, num } from "./userArgs.ts";
import { vmBindWorker } from "./vmBindQueue.ts";
import { vmExecOp } from "./vmExec.ts";

/** `PANTHOR_MAX_VMS_PER_FILE`: ids 1..32 (`XA_LIMIT(1, 32)`). */
export const PANTHOR_MAX_VMS_PER_FILE = 32;
/** `enum drm_panthor_vm_state`. */
export const DRM_PANTHOR_VM_STATE = { USABLE: 0, UNUSABLE: 1 } as const;

const VmCreateArgs = z.object({ flags: U32, id: U32, user_va_range: U64 });
const VmIdArgs = z.object({ id: U32, pad: U32 });
const VmGetStateArgs = z.object({ vm_id: U32, state: U32, pad: U32 });

/** `panthor_vm_declare_unusable` (and the fault path): the VM accepts no more MAP ops. */
export function declareUnusable(vm: PanthorVm): void {
  if (vm.status === "usable") vm.status = "unusable";
}

/**
 * DRM_IOCTL_PANTHOR_VM_CREATE: check the layout (-EINVAL), allocate the page table (-ENOMEM when
 * the pool is empty), take the lowest free id (-EBUSY past 32), start the bind worker.
 * Out: `id`, `user_va_range` (the start of the kernel VA section).
 */
export function* vmCreate(c: IoctlCtx, raw: unknown): KTask<IoctlResult> {
  const a = parseArgs(VmCreateArgs, raw);
  if (!a.ok) return failed(a);
  const { d, file } = c;
  const l = panthorVmLayout({ vaBits: d.vaBits, flags: a.value.flags, userVaRange: num(a.value.user_va_range) });
  if (!l.ok) return fail("EINVAL");
  let id = 1;
  while (file.vms.has(id)) id++;
  if (id > PANTHOR_MAX_VMS_PER_FILE) return fail("EBUSY");
  let pt;
  try {
    pt = createPageTable(d.ptMem, { ias: d.vaBits, oas: Math.min(mmuPaBits(d.dev.info.mmu_features), 48) });
  } catch (e) {
    if (e instanceof OutOfFramesError) return fail("ENOMEM");
    throw e;
  }
  const vm: PanthorVm = {
    uid: d.nextVmUid++, file: file.id, id, layout: l.layout, gpuvm: createPanthorGpuVm(d.vaBits), pt, as: undefined, asActiveCnt: 0, status: "usable",
    unhandledFault: false, bindQueue: [], fenceContext: d.fences.contextAlloc(1), nextBindSeq: 1,
    kernelVa: { start: l.layout.kernelVaStart, end: l.layout.kernelVaStart + l.layout.kernelVaRange, used: [] }, heapPool: undefined,
  };
  file.vms.set(id, vm);
  yield* mutexLock(d.mmLock);
  yield* publishTables(d);
  yield* mutexUnlock(d.mmLock);
  c.spawn(`vm${vm.uid}.bind`, vmBindWorker(c, vm));
  return ok({ id, user_va_range: l.layout.userVaRange });
}

/**
 * `panthor_vm_destroy` + the last `panthor_vm_put`: destroy the groups running in it and its tiler
 * heaps, unmap everything, cancel queued binds, give the AS back, free the page table. The VM has
 * already left its file's pool.
 */
export function* destroyVm(c: KernelCtx, vm: PanthorVm): KTask<void> {
  const { d } = c;
  yield* destroyVmGroups(c, vm);
  yield* destroyHeapPool(d, vm);
  vm.status = "destroyed";
  for (const job of vm.bindQueue.splice(0)) {
    signal(job.done, c.now(), -ERRNO.ECANCELED);
    if (job.prepared.type === "map") yield* gemRun(d, { type: "jobPut", obj: job.prepared.bo.obj });
  }
  yield* vmExecOp(d, vm, { type: "unmap", addr: vm.gpuvm.mmStart, range: vm.gpuvm.mmRange }, true);
  yield* mutexLock(d.mmLock);
  vm.asActiveCnt = 0;
  yield* asRelease(d, vm);
  freePageTable(vm.pt);
  yield* mutexUnlock(d.mmLock);
}

/** DRM_IOCTL_PANTHOR_VM_DESTROY: pad or an id not in the caller's pool → -EINVAL. */
export function* vmDestroy(c: IoctlCtx, raw: unknown): KTask<IoctlResult> {
  const a = parseArgs(VmIdArgs, raw);
  if (!a.ok) return failed(a);
  if (a.value.pad !== 0) return fail("EINVAL");
  const vm = c.file.vms.get(a.value.id);
  if (vm === undefined) return fail("EINVAL");
  c.file.vms.delete(vm.id);
  yield* destroyVm(c, vm);
  return ok();
}

/** DRM_IOCTL_PANTHOR_VM_GET_STATE: USABLE or UNUSABLE; pad or unknown id → -EINVAL. Out: `state`. */
export function vmGetState(c: IoctlCtx, raw: unknown): IoctlResult {
  const a = parseArgs(VmGetStateArgs, raw);
  if (!a.ok) return failed(a);
  if (a.value.pad !== 0) return fail("EINVAL");
  const vm = c.file.vms.get(a.value.vm_id);
  if (vm === undefined) return fail("EINVAL");
  return ok({ state: vm.status === "usable" ? DRM_PANTHOR_VM_STATE.USABLE : DRM_PANTHOR_VM_STATE.UNUSABLE });
}

/** `panthor_vm_pool_destroy` at file close: every VM of the file, in id order. */
export function* destroyFileVms(c: KernelCtx, file: DrmFileState): KTask<void> {
  const vms = [...file.vms.values()].sort((a, b) => a.id - b.id);
  file.vms.clear();
  for (const vm of vms) yield* destroyVm(c, vm);
}

/** The VM a request names, if the file is open and has it. */
export function findVm(d: DriverState, file: number, vmId: number): PanthorVm | undefined {
  const f = d.files.get(file);
  return f?.status === "open" ? f.vms.get(vmId) : undefined;
}
