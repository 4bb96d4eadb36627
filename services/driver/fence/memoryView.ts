/**
 * Memory as direct reclaim sees it on a device, for the reclaim decision of `services/fence/reclaim.ts`:
 * what is free (the GEM pool less what memory pressure is still owed), what the shrinker frees
 * without waiting (idle, unpinned objects), and the busy objects — those mapped in a VM whose
 * reservation holds unsignalled job fences. Panthor adds every job's done fence to its VM's
 * resv (`panthor_job_update_resvs` → `drm_gpuvm_resv_add_fence`, BOOKKEEP), so a shrinker that
 * wants a mapped BO must `dma_resv_wait_timeout` on all of them.
 *
 * Simplified: a VM's objects are one busy entry (they share the VM's resv); the entry's fence is
 * the first of the resv's fences in `blocks` (the one a wait would hang on), else the newest.
 */
import { PAGE_SIZE } from "../../../shared/gpu/physicalMemory.ts";
import type { DmaFence, MemoryPressure } from "../../fence/index.ts";
import { freeFrameCount, reclaimableBytes } from "../../gem/index.ts";
import { isKernelObj } from "../uapi/kernelBo.ts";
import type { DriverState, PanthorVm } from "../uapi/driverState.ts";

/** One unsignalled job fence in a VM's reservation, with the job it belongs to. */
export interface ResvFence {
  readonly fence: DmaFence;
  readonly job: string;
}

/** A VM with unsignalled job fences and the user objects it maps. */
export interface BusyVm {
  readonly vm: PanthorVm;
  readonly fences: readonly ResvFence[];
  readonly objects: readonly number[];
  readonly bytes: number;
}

/** Every VM whose reservation holds unsignalled job fences, in group-creation order. */
export function busyVms(d: DriverState): BusyVm[] {
  const byVm = new Map<PanthorVm, ResvFence[]>();
  for (const g of d.sched?.groups ?? []) {
    for (const q of g.queues) {
      for (const j of q.submitted.values()) {
        if (j.fence.signalled) continue;
        let list = byVm.get(g.vm);
        if (list === undefined) byVm.set(g.vm, (list = []));
        list.push({ fence: j.fence, job: j.id });
      }
    }
  }
  return [...byVm].map(([vm, fences]) => {
    const objects = [...vm.gpuvm.vmBos.keys()].filter((o) => !isKernelObj(o) && d.gem.objects.has(o)).sort((a, b) => a - b);
    const bytes = objects.reduce((n, o) => n + (d.gem.objects.get(o)!.pages?.length ?? 0) * PAGE_SIZE, 0);
    return { vm, fences, objects, bytes };
  });
}

/** The fence of `busy` a reclaim that blocks `blocks` hangs on: the first blocked one, else the newest. */
export function waitFenceOf(busy: BusyVm, blocks: ReadonlySet<number>): ResvFence {
  return busy.fences.find((f) => blocks.has(f.fence.id)) ?? busy.fences[busy.fences.length - 1]!;
}

/** The device's memory for `allocate()`: free and idle bytes net of owed pressure, and the busy VMs. */
export function memoryPressureView(d: DriverState, blocks: ReadonlySet<number>): MemoryPressure {
  const owed = d.gem.owedBytes;
  const free = freeFrameCount(d.gem.pool) * PAGE_SIZE;
  const freeBytes = Math.max(0, free - owed);
  const idleReclaimableBytes = Math.max(0, reclaimableBytes(d.gem) - Math.max(0, owed - free));
  const busy = busyVms(d).filter((b) => b.bytes > 0).map((b) => ({ fence: waitFenceOf(b, blocks).fence, bytes: b.bytes }));
  return { freeBytes, idleReclaimableBytes, busy };
}
