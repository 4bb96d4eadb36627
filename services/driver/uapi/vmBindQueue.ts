/**
 * The per-VM bind queue of asynchronous VM_BIND (panthor.md §5.5): panthor gives every VM a
 * drm_gpu_scheduler with one entity and a credit limit of 1, so bind jobs run one at a time, in
 * submission order, each once its in-fences have signalled (`panthor_vm_bind_run_job`). Here the
 * scheduler is one kernel task per VM that waits for the head job to become ready, runs it with
 * `vmExecOp`, and signals the job's finished fence — with the error when the op failed, which
 * also makes the VM unusable (`panthor_vm_declare_unusable`, its AS disabled).
 *
 * Simplified: an in-fence that signalled with an error does not cancel the job (drm_sched runs
 * it anyway unless the entity was killed); the job's pages are allocated when it runs, not
 * pinned at submission — inside the job's fence-signalling section, so with GFP_KERNEL under the
 * unsafe fence policy (lockdep reports it) and without reclaim under the safe one (`fence/pathHooks.ts`).
 */
import { signal, isSignaled } from "../../fence/index.ts";
import { bindJobBegin } from "../fence/pathHooks.ts";
import { emit, mutexLock, mutexUnlock, waitEvent, type KTask } from "../ktask.ts";
import { asDisable } from "./asSlots.ts";
import type { BindJob, PanthorVm } from "./driverState.ts";
import { gemRun } from "./gemShell.ts";
import type { KernelCtx } from "./ioctlContext.ts";
import { VmBindJobCompleted } from "./uapiEvents.ts";
import { uapiPaths } from "./uapiPaths.ts";
import { vmExecOp } from "./vmExec.ts";

/** The head job once every in-fence has signalled. */
function readyHead(vm: PanthorVm): BindJob | undefined {
  const head = vm.bindQueue[0];
  return head !== undefined && head.waits.every((f) => isSignaled(f)) ? head : undefined;
}

/** The worker of `vm`'s bind queue; ends when the VM is destroyed. */
export function* vmBindWorker(c: KernelCtx, vm: PanthorVm): KTask<void> {
  const { d } = c;
  for (;;) {
    const next = yield* waitEvent(() => (vm.status === "destroyed" ? "stop" : readyHead(vm)), Number.POSITIVE_INFINITY);
    if (next === "stop" || next === undefined) return;
    vm.bindQueue.shift();
    const endSection = bindJobBegin(d, vm, next);
    const ret = yield* vmExecOp(d, vm, next.prepared);
    if (ret !== 0 && vm.status === "usable") {
      vm.status = "unusable";
      if (vm.as !== undefined) {
        yield* mutexLock(d.mmLock);
        if (vm.as !== undefined) yield* asDisable(vm.as);
        yield* mutexUnlock(d.mmLock);
      }
    }
    if (next.prepared.type === "map") yield* gemRun(d, { type: "jobPut", obj: next.prepared.bo.obj });
    signal(next.done, c.now(), ret === 0 ? undefined : ret);
    endSection();
    yield* emit(VmBindJobCompleted, uapiPaths(d.dev.gpu).vmState, { file: vm.file, vmId: vm.id, job: next.seq, ret });
  }
}
