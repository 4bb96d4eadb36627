/**
 * `panthor_vm_active()` then `panthor_vm_idle()` on request (panthor.md §5.1): make a VM resident
 * on an AS slot and leave it on the LRU, keeping the AS until another VM needs it. The scheduler
 * does this for its groups' VMs (`sched/asLru.ts`); `VmActivationRequested` exposes it so tests and
 * scenarios can make a VM resident without a group. The outcome is `VmActivated`, or
 * `VmActivationFailed` (-EINVAL: no such VM; -EBUSY: every AS in active use).
 */
import { ERRNO } from "../../../shared/gpu/errno.ts";
import { emit, type KTask } from "../ktask.ts";
import { panthorVmActive, panthorVmIdle } from "../sched/asLru.ts";
import type { DriverState } from "./driverState.ts";
import { VmActivated, VmActivationFailed } from "./uapiEvents.ts";
import { uapiPaths } from "./uapiPaths.ts";
import { findVm } from "./vmPool.ts";

/** Bind the VM `vmId` of `file` to an AS and program it; the outcome is `VmActivated` or `VmActivationFailed`. */
export function* vmActivate(d: DriverState, file: number, vmId: number): KTask<void> {
  const path = uapiPaths(d.dev.gpu).vmState;
  const vm = findVm(d, file, vmId);
  if (vm === undefined) return yield* emit(VmActivationFailed, path, { file, vmId, errno: -ERRNO.EINVAL });
  const as = yield* panthorVmActive(d, vm);
  if (as < 0) return yield* emit(VmActivationFailed, path, { file, vmId, errno: as });
  panthorVmIdle(d, vm);
  yield* emit(VmActivated, path, { file, vmId, as });
}
