/**
 * DRM_IOCTL_PANTHOR_GROUP_CREATE (`panthor_ioctl_group_create` → `panthor_group_create` →
 * `group_create_queue`, panthor.md §1.4, §1.8, §4.1), checks in panthor's order:
 *
 * - `queues.count` 0 or above the CS slots of a CSG (≤ `MAX_CS_PER_CSG` = 32) → -EINVAL; the
 *   queue array copied (-EINVAL / -E2BIG / -EFAULT);
 * - priority above REALTIME → -EINVAL; above MEDIUM without CAP_SYS_NICE or DRM master → -EACCES
 *   (tyrsim's clients have neither);
 * - pad ≠ 0; a core mask outside `shader_present` (compute, fragment) or `tiler_present`; a mask
 *   with fewer cores than its `max_*_cores`; a `vm_id` the file does not have → -EINVAL;
 * - per queue: pad ≠ 0, `ringbuf_size` not a power of two in [4 KiB, 64 KiB], priority > 15 → -EINVAL;
 * - a 129th group in the file → -EBUSY (`xa_alloc`, handles 1..128); no memory → -ENOMEM.
 *
 * The group gets its suspend buffers in the MCU VM, one `panthor_syncobj_64b` per queue in its
 * VM, and per queue a ring BO (its VM) and an 8 KiB user I/O BO (MCU VM), plus a backend queue
 * with `ringbuf_size / 8` credits and panthor's 5 s timeout. State CREATED: it runs when a tick
 * gives it a CSG slot. Out: `group_handle`.
 */
import { z } from "zod";
import { emit, type KTask } from "../ktask.ts";
import { csgIface } from "../fw/fwIface.ts";
import type { DriverState } from "../uapi/driverState.ts";
import { fail, failed, ok, type IoctlCtx, type IoctlResult } from "../uapi/ioctlContext.ts";
import { KBO_MAP, kernelBoCreate, kernelBoDestroy, type KernelBo } from "../uapi/kernelBo.ts";
import { KernelMap } from "../uapi/kernelMap.ts";
import { copyObjArray, ObjArraySchema, parseArgs, U32, U64, U8 } from "../uapi/userArgs.ts";
import { coreCounts } from "./csgProg.ts";
import { GroupCreated, schedPaths } from "./schedEvents.ts";
import { PANTHOR_GROUP_PRIORITY, type PanthorGroup, type PanthorQueue } from "./schedTypes.ts";

/** `MAX_GROUPS_PER_POOL`: group handles 1..128 per file. */
export const MAX_GROUPS_PER_POOL = 128;
/** `MAX_CS_PER_CSG`. */
export const MAX_CS_PER_CSG = 32;
/** `JOB_TIMEOUT_MS`. */
export const JOB_TIMEOUT_NS = 5_000_000_000;
const SZ_4K = 4096;
const SZ_64K = 65536;

const QueueCreateSchema = z.object({ priority: z.number().int().min(0).max(0xff).default(0), pad: z.array(U8).length(3).default([0, 0, 0]), ringbuf_size: U32 });
/** `struct drm_panthor_queue_create`: 8 bytes. */
const QUEUE_CREATE_SIZE = { size: 8, minSize: 8 };
const GroupCreateArgs = z.object({
  queues: ObjArraySchema, max_compute_cores: U8.default(0), max_fragment_cores: U8.default(0), max_tiler_cores: U8.default(0), priority: U8.default(0),
  pad: U32, compute_core_mask: U64, fragment_core_mask: U64, tiler_core_mask: U64, vm_id: U32, group_handle: U32,
});
type QueueCreate = z.infer<typeof QueueCreateSchema>;

const isPow2 = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

/** `group_create_queue`'s checks. */
function queueArgsValid(q: QueueCreate): boolean {
  return q.pad.every((b) => b === 0) && q.ringbuf_size >= SZ_4K && q.ringbuf_size <= SZ_64K && isPow2(q.ringbuf_size) && q.priority <= 15;
}

/** A 64-bit core mask that fits 32 bits (tyrsim's masks do), else undefined. */
const mask32 = (v: bigint): number | undefined => (v < 2n ** 32n ? Number(v) : undefined);

/** Free what a partly built group holds (error path and release). */
export function* freeGroupBos(d: DriverState, bos: readonly KernelBo[]): KTask<void> {
  for (const bo of [...bos].reverse()) yield* kernelBoDestroy(d, bo);
}

/** DRM_IOCTL_PANTHOR_GROUP_CREATE (see the module comment). */
export function* groupCreate(c: IoctlCtx, raw: unknown): KTask<IoctlResult> {
  const { d, file } = c;
  const sched = d.sched!;
  const a = parseArgs(GroupCreateArgs, raw);
  if (!a.ok) return failed(a);
  const args = a.value;
  if (args.queues.count === 0 || args.queues.count > Math.min(MAX_CS_PER_CSG, sched.csSlotCount)) return fail("EINVAL");
  const qargs = copyObjArray(args.queues, QUEUE_CREATE_SIZE, QueueCreateSchema);
  if (!qargs.ok) return failed(qargs);
  if (args.priority > PANTHOR_GROUP_PRIORITY.REALTIME) return fail("EINVAL");
  // group_priority_permit(): above MEDIUM needs CAP_SYS_NICE (DRM master is not modelled).
  if (args.priority > PANTHOR_GROUP_PRIORITY.MEDIUM && !file.capSysNice) return fail("EACCES");
  if (args.pad !== 0) return fail("EINVAL");
  const info = d.dev.info;
  const compute = mask32(args.compute_core_mask);
  const fragment = mask32(args.fragment_core_mask);
  const tiler = mask32(args.tiler_core_mask);
  if (compute === undefined || fragment === undefined || tiler === undefined) return fail("EINVAL");
  if ((compute & ~info.shader_present) !== 0 || (fragment & ~info.shader_present) !== 0 || (tiler & ~info.tiler_present) !== 0) return fail("EINVAL");
  if (coreCounts(compute) < args.max_compute_cores || coreCounts(fragment) < args.max_fragment_cores || coreCounts(tiler) < args.max_tiler_cores) return fail("EINVAL");
  const vm = file.vms.get(args.vm_id);
  if (vm === undefined || vm.status === "destroyed") return fail("EINVAL");
  if (!qargs.value.every(queueArgsValid)) return fail("EINVAL");

  const made: KernelBo[] = [];
  const kbo = function* (bo: KernelBo | number): KTask<KernelBo | undefined> {
    if (typeof bo === "number") {
      yield* freeGroupBos(d, made);
      return undefined;
    }
    made.push(bo);
    return bo;
  };
  const mcuVm = d.mcuVm!;
  const suspendSize = csgIface(d.fw!, 0).suspendSize;
  const suspendBuf = yield* kbo(yield* kernelBoCreate(d, mcuVm, suspendSize));
  const protmSuspendBuf = suspendBuf && (yield* kbo(yield* kernelBoCreate(d, mcuVm, suspendSize)));
  const syncobjs = protmSuspendBuf && (yield* kbo(yield* kernelBoCreate(d, vm, args.queues.count * 16, { mapFlags: KBO_MAP.NOEXEC | KBO_MAP.UNCACHED })));
  if (suspendBuf === undefined || protmSuspendBuf === undefined || syncobjs === undefined) return fail("ENOMEM");
  const uid = d.nextGroupUid++;
  const queues: PanthorQueue[] = [];
  for (const [index, q] of qargs.value.entries()) {
    const ring = yield* kbo(yield* kernelBoCreate(d, vm, q.ringbuf_size, { mapFlags: KBO_MAP.NOEXEC | KBO_MAP.UNCACHED }));
    const iface = ring && (yield* kbo(yield* kernelBoCreate(d, mcuVm, 2 * 4096, { mapFlags: KBO_MAP.NOEXEC | KBO_MAP.UNCACHED })));
    if (ring === undefined || iface === undefined) return fail("ENOMEM");
    const qid = `g${uid}.q${index}`;
    queues.push({
      index, qid, priority: q.priority, ringSize: q.ringbuf_size, ring, iface: new KernelMap(d, iface), insert: 0, ringSeqno: 0,
      onRing: [], submitted: new Map(), nextJob: 1,
    });
  }
  // The handle is taken once nothing can yield any more (`xa_alloc` at insertion, as panthor): two
  // GROUP_CREATEs of one file in flight together must not pick the same free handle.
  let handle = 1;
  while (file.groups.has(handle)) handle++;
  if (handle > MAX_GROUPS_PER_POOL) {
    yield* freeGroupBos(d, made);
    return fail("EBUSY");
  }
  const g: PanthorGroup = {
    uid, file: file.id, handle, vm, priority: args.priority, computeCoreMask: compute, fragmentCoreMask: fragment, tilerCoreMask: tiler,
    maxComputeCores: args.max_compute_cores, maxFragmentCores: args.max_fragment_cores, maxTilerCores: args.max_tiler_cores,
    queues, syncobjs, suspendBuf, protmSuspendBuf, state: "created", csgId: undefined, destroyed: false, timedout: false, innocent: false,
    fatalQueues: 0, lastBoundTick: -1, released: false,
  };
  for (const q of queues) {
    const ret = sched.backend.createQueue(q.qid, q.ringSize / 8, JOB_TIMEOUT_NS, c.now());
    if (ret !== 0) throw new Error(`backend refused queue ${q.qid}: ${ret}`);
    sched.byQueue.set(q.qid, { group: g, queue: q });
  }
  file.groups.set(handle, g);
  sched.groups.push(g);
  yield* emit(GroupCreated, schedPaths(d.dev.gpu).group, {
    file: file.id, group: handle, vmId: vm.id, priority: g.priority, queues: queues.map((q) => ({ priority: q.priority, ringSize: q.ringSize, ringVa: q.ring.va })),
  });
  return ok({ group_handle: handle });
}
