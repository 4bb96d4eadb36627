/**
 * DRM sync objects (`drivers/gpu/drm/drm_syncobj.c`), binary and timeline, over the dma-fence
 * model of `services/fence`: a syncobj holds a fence pointer (a plain fence when used as a binary
 * syncobj, a `dma_fence_chain` head when used as a timeline); handles are per DRM file
 * (`file->syncobj_xa`, lowest free from 1), and an object lives while a handle or an exported fd
 * refers to it.
 *
 * Mirrors `drm_syncobj_create`, `drm_syncobj_find`, `drm_syncobj_replace_fence`,
 * `drm_syncobj_add_point`, `drm_syncobj_assign_null_handle` (`dma_fence_allocate_private_stub`),
 * the fence lookup of `drm_syncobj_find_fence` (without its wait), the query ioctl's point walk,
 * `drm_syncobj_get_fd` / `drm_syncobj_fd_to_handle` and sync_file export/import.
 *
 * Simplified: file descriptors are device-wide numeric tokens (from 100) that never close — a
 * client hands one to another client as a process would pass an fd over a UNIX socket; a
 * sync_file holds exactly one fence (no `dma_fence_unwrap_merge` of arrays).
 */
import { chainForEach, chainFindSeqno, chainInit, isSignaled, signal, toChain, type DmaFence, type FenceRegistry } from "../../fence/index.ts";

/** `struct drm_syncobj`. */
export interface DrmSyncobj {
  /** Device-wide identity, for logs and snapshots. */
  readonly id: number;
  fence: DmaFence | undefined;
  /** Handles and fds referring to the object (`kref`). */
  refs: number;
}

/** What an fd token refers to. */
export type FdObject = { readonly kind: "syncobj"; readonly syncobj: DrmSyncobj } | { readonly kind: "sync_file"; readonly fence: DmaFence };

/** The device's syncobjs, handle tables and fd tokens. */
export class SyncobjStore {
  private readonly handles = new Map<number, Map<number, DrmSyncobj>>();
  private readonly fds = new Map<number, FdObject>();
  private nextId = 1;
  private nextFd = 100;

  constructor(readonly fences: FenceRegistry) {}

  /** `dma_fence_allocate_private_stub(ktime)`: a new fence, already signalled at `nowNs`. */
  stub(nowNs: number): DmaFence {
    const f = this.fences.create({ context: this.fences.contextAlloc(1), seqno: 0, driverName: "stub", timelineName: "stub" });
    signal(f, nowNs);
    return f;
  }

  /** `drm_syncobj_create` + `drm_syncobj_get_handle`: a new syncobj (signalled if asked) and its handle in `file`. */
  create(file: number, signalled: boolean, nowNs: number): number {
    const obj: DrmSyncobj = { id: this.nextId++, fence: signalled ? this.stub(nowNs) : undefined, refs: 0 };
    return this.addHandle(file, obj);
  }

  /** `drm_syncobj_find`: the object a handle names in `file`. */
  lookup(file: number, handle: number): DrmSyncobj | undefined {
    return this.handles.get(file)?.get(handle);
  }

  /** `drm_syncobj_destroy`: drop a handle; false when `file` has no such handle. */
  destroy(file: number, handle: number): boolean {
    const table = this.handles.get(file);
    const obj = table?.get(handle);
    if (table === undefined || obj === undefined) return false;
    table.delete(handle);
    this.put(obj);
    return true;
  }

  /** `drm_syncobj_release`: a closing file drops every handle. */
  closeFile(file: number): void {
    for (const obj of this.handles.get(file)?.values() ?? []) this.put(obj);
    this.handles.delete(file);
  }

  /** The handles of `file`, ascending (for snapshots). */
  handlesOf(file: number): { handle: number; syncobj: number; point: string; signalled: boolean | null }[] {
    return [...(this.handles.get(file) ?? new Map<number, DrmSyncobj>())]
      .sort(([a], [b]) => a - b)
      .map(([handle, o]) => ({ handle, syncobj: o.id, point: (o.fence?.seqno ?? 0n).toString(), signalled: o.fence === undefined ? null : isSignaled(o.fence) }));
  }

  /** `drm_syncobj_replace_fence`. */
  replaceFence(obj: DrmSyncobj, fence: DmaFence | undefined): void {
    obj.fence = fence;
  }

  /**
   * `drm_syncobj_add_point`: a new chain node for `point` wrapping `fence` on top of the current
   * fence (an unordered point is accepted, as the kernel only logs it), then one walk to collect
   * signalled nodes.
   */
  addPoint(obj: DrmSyncobj, fence: DmaFence, point: bigint): void {
    const prev = obj.fence;
    obj.fence = chainInit(this.fences, prev, fence, point);
    if (prev !== undefined) for (const _ of chainForEach(prev)) void _;
  }

  /**
   * The fence for `point`, as `drm_syncobj_find_fence` finds it without waiting: the stub when the
   * point has signalled already; undefined when no fence is attached or the point is not
   * submitted yet (the kernel's -EINVAL).
   */
  fenceAt(obj: DrmSyncobj, point: bigint, nowNs: number): DmaFence | undefined {
    if (obj.fence === undefined) return undefined;
    const r = chainFindSeqno(obj.fence, point);
    if (r.err !== 0) return undefined;
    return r.fence ?? this.stub(nowNs);
  }

  /**
   * DRM_IOCTL_SYNCOBJ_QUERY for one object: a timeline's last signalled point (or, with
   * `lastSubmitted`, its last point); 0 for a binary syncobj or an empty one.
   */
  query(obj: DrmSyncobj, lastSubmitted: boolean): bigint {
    const fence = obj.fence;
    const chain = toChain(fence);
    if (fence === undefined || chain === undefined) return 0n;
    if (lastSubmitted) return fence.seqno;
    let last: DmaFence = fence;
    for (const iter of chainForEach(fence)) {
      if (iter.context !== fence.context) break;
      last = iter;
    }
    return isSignaled(last) ? last.seqno : (toChain(last)?.prevSeqno ?? 0n);
  }

  /** `drm_syncobj_get_fd`: an fd token for the object. */
  exportSyncobj(obj: DrmSyncobj): number {
    obj.refs++;
    return this.newFd({ kind: "syncobj", syncobj: obj });
  }

  /** `sync_file_create`: an fd token for one fence. */
  exportSyncFile(fence: DmaFence): number {
    return this.newFd({ kind: "sync_file", fence });
  }

  /** What an fd token refers to, or undefined (the fd is not open). */
  fd(fd: number): FdObject | undefined {
    return this.fds.get(fd);
  }

  /** `drm_syncobj_fd_to_handle`: a new handle in `file` for an exported syncobj. */
  importSyncobj(file: number, obj: DrmSyncobj): number {
    return this.addHandle(file, obj);
  }

  private addHandle(file: number, obj: DrmSyncobj): number {
    let table = this.handles.get(file);
    if (table === undefined) this.handles.set(file, (table = new Map()));
    let h = 1;
    while (table.has(h)) h++;
    table.set(h, obj);
    obj.refs++;
    return h;
  }

  private newFd(o: FdObject): number {
    const fd = this.nextFd++;
    this.fds.set(fd, o);
    return fd;
  }

  /** `drm_syncobj_put`: at the last reference the fence is dropped (`drm_syncobj_free`). */
  private put(obj: DrmSyncobj): void {
    obj.refs--;
    if (obj.refs === 0) obj.fence = undefined;
  }
}
