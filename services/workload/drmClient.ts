/**
 * A libdrm-style client of the simulated device, for tests now and the workload actor later:
 * `openDevice` opens a DRM file; `ioctl(name, args)` returns the return value and the output
 * fields; `mmap(handle)` maps a BO (BO_MMAP_OFFSET, then mmap) for CPU reads and writes; a few
 * helpers wrap the syncobj ioctls as libdrm's `drmSyncobj*` do. Everything goes through a
 * {@link DrmChannel}, so the same client runs on the embedded runtime and, later, over NATS.
 *
 * The ioctl names and argument conventions are the driver's (`services/driver/uapi/userArgs.ts`):
 * `ioctl("BO_CREATE", { size: 4096 })` is DRM_IOCTL_PANTHOR_BO_CREATE with a zeroed struct.
 *
 * @example
 * const f = openDevice(embeddedChannel(sim, "app"));
 * const { out } = f.ioctl("BO_CREATE", { size: 5000 }); // out.size === 8192
 * const bo = f.mmap(out.handle as number);
 * bo.write(0, [0xde, 0xad, 0xbe, 0xef]);
 */
import { ERRNO, errnoName } from "../../shared/gpu/errno.ts";
import {
  BoCpuAccessCompleted, BoCpuReadIssued, BoCpuWriteIssued, BoMmapRequested, BoMunmapRequested, DrmFileCloseRequested, DrmFileClosed,
  DrmFileOpened, DrmFileOpenFailed, DrmFileOpenRequested, IoctlCompleted, IoctlIssued,
} from "../driver/uapi/uapiEvents.ts";
import { uapiPaths } from "../driver/uapi/uapiPaths.ts";
import { decodeBytes, encodeBytes } from "../memory/memoryWrites.ts";
import type { DrmChannel } from "./drmChannel.ts";

/** An ioctl's answer: 0 or -errno, and the output fields. */
export interface IoctlReply {
  readonly ret: number;
  readonly out: Readonly<Record<string, unknown>>;
}

/** A call failed with an errno (thrown by the helpers, never by `ioctl`). */
export class DrmError extends Error {
  override readonly name = "DrmError";
  constructor(readonly operation: string, readonly errno: number) {
    super(`${operation} failed: ${errnoName(errno)} (${errno})`);
  }
}

/** A CPU mapping of a BO. */
export interface BoMapping {
  readonly handle: number;
  /** The fake mmap offset. */
  readonly offset: number;
  readonly length: number;
  /** Load `len` bytes at `off`. */
  read(off: number, len: number): Uint8Array;
  /** Store bytes at `off`. */
  write(off: number, bytes: Uint8Array | readonly number[]): void;
  /** munmap(2). */
  unmap(): void;
}

/** An open DRM file. */
export interface DrmFile {
  readonly client: string;
  /** The driver's number for the file (the fd). */
  readonly fd: number;
  ioctl(name: string, args?: unknown): IoctlReply;
  /** Map a BO by handle (length: the size BO_CREATE returned, unless given). */
  mmap(handle: number, length?: number): BoMapping;
  /** A raw CPU access through `mmapOffset`, answering 0 or -errno (for tests of refused accesses). */
  cpuAccess(op: "read" | "write" | "mmap" | "munmap", mmapOffset: number, offset?: number, arg?: number | Uint8Array): { ret: number; data?: Uint8Array };
  close(): number;
  /** DRM_IOCTL_SYNCOBJ_CREATE → handle. */
  syncobjCreate(flags?: number): number;
  /** DRM_IOCTL_SYNCOBJ_WAIT / TIMELINE_WAIT with a timeout relative to now (virtual ns); → ret and first_signaled. */
  syncobjWait(handles: readonly number[], opts?: { points?: readonly (number | string)[]; flags?: number; timeoutNs?: number }): { ret: number; first?: number };
  /** DRM_IOCTL_SYNCOBJ_SIGNAL / TIMELINE_SIGNAL. */
  syncobjSignal(handles: readonly number[], points?: readonly (number | string)[]): void;
  /** DRM_IOCTL_SYNCOBJ_QUERY → the points. */
  syncobjQuery(handles: readonly number[], flags?: number): (number | string)[];
  /** DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD → fd token. */
  syncobjExport(handle: number): number;
  /** DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE → handle. */
  syncobjImport(fd: number): number;
}

/** Open the DRM device of GPU `gpu` for the channel's client; throws {@link DrmError} when it cannot be opened. */
export function openDevice(ch: DrmChannel, gpu = 0): DrmFile {
  const paths = uapiPaths(gpu);
  const tag0 = ch.nextTag();
  const opened = ch.request({
    def: DrmFileOpenRequested, path: paths.file, payload: { client: ch.client, tag: tag0 },
    isAnswer: (e) => (e.type === DrmFileOpened.type || e.type === DrmFileOpenFailed.type) && (e.payload as { tag: string }).tag === tag0,
  });
  if (opened.type === DrmFileOpenFailed.type) throw new DrmError("open", (opened.payload as { errno: number }).errno);
  const fd = (opened.payload as { file: number }).file;
  const sizes = new Map<number, number>();

  const ioctl = (name: string, args: unknown = {}): IoctlReply => {
    const tag = ch.nextTag();
    const e = ch.request({
      def: IoctlIssued, path: paths.ioctl, payload: { file: fd, ioctl: name, args, tag },
      isAnswer: (x) => x.type === IoctlCompleted.type && (x.payload as { tag: string }).tag === tag,
    });
    const p = e.payload as { ret: number; out?: Record<string, unknown> };
    if (name === "BO_CREATE" && p.ret === 0) sizes.set(p.out!.handle as number, p.out!.size as number);
    return { ret: p.ret, out: p.out ?? {} };
  };
  const must = (name: string, args: unknown): Readonly<Record<string, unknown>> => {
    const r = ioctl(name, args);
    if (r.ret !== 0) throw new DrmError(name, r.ret);
    return r.out;
  };
  const cpu = (def: typeof BoMmapRequested | typeof BoMunmapRequested | typeof BoCpuWriteIssued | typeof BoCpuReadIssued, payload: Record<string, unknown>) => {
    const tag = ch.nextTag();
    const e = ch.request({
      def, path: paths.mmap, payload: { ...payload, file: fd, tag } as never,
      isAnswer: (x) => x.type === BoCpuAccessCompleted.type && (x.payload as { tag: string }).tag === tag,
    });
    const p = e.payload as { ret: number; data?: string };
    return p.data === undefined ? { ret: p.ret } : { ret: p.ret, data: decodeBytes(p.data) };
  };
  const cpuAccess: DrmFile["cpuAccess"] = (op, mmapOffset, offset = 0, arg = 0) => {
    if (op === "mmap") return cpu(BoMmapRequested, { offset: mmapOffset, length: arg as number });
    if (op === "munmap") return cpu(BoMunmapRequested, { offset: mmapOffset });
    if (op === "read") return cpu(BoCpuReadIssued, { mmapOffset, offset, length: arg as number });
    return cpu(BoCpuWriteIssued, { mmapOffset, offset, data: encodeBytes(arg as Uint8Array) });
  };

  return {
    client: ch.client,
    fd,
    ioctl,
    cpuAccess,
    mmap(handle, length) {
      const offset = must("BO_MMAP_OFFSET", { handle }).offset as number;
      const len = length ?? sizes.get(handle) ?? 4096;
      const m = cpuAccess("mmap", offset, 0, len);
      if (m.ret !== 0) throw new DrmError("mmap", m.ret);
      return {
        handle, offset, length: len,
        read(off, n) {
          const r = cpuAccess("read", offset, off, n);
          if (r.ret !== 0) throw new DrmError("read", r.ret);
          return r.data!;
        },
        write(off, bytes) {
          const r = cpuAccess("write", offset, off, Uint8Array.from(bytes));
          if (r.ret !== 0) throw new DrmError("write", r.ret);
        },
        unmap() {
          const r = cpuAccess("munmap", offset);
          if (r.ret !== 0) throw new DrmError("munmap", r.ret);
        },
      };
    },
    close() {
      const tag = ch.nextTag();
      const e = ch.request({
        def: DrmFileCloseRequested, path: paths.file, payload: { file: fd, tag },
        isAnswer: (x) => x.type === DrmFileClosed.type && (x.payload as { tag?: string }).tag === tag,
      });
      return (e.payload as { ret: number }).ret;
    },
    syncobjCreate: (flags = 0) => must("SYNCOBJ_CREATE", { flags }).handle as number,
    syncobjWait(handles, opts = {}) {
      const timeout = opts.timeoutNs === undefined ? 0 : ch.nowNs() + opts.timeoutNs;
      const args = { handles: [...handles], count_handles: handles.length, flags: opts.flags ?? 0, timeout_nsec: timeout };
      const r = opts.points === undefined ? ioctl("SYNCOBJ_WAIT", args) : ioctl("SYNCOBJ_TIMELINE_WAIT", { ...args, points: [...opts.points] });
      return r.ret === 0 ? { ret: 0, first: r.out.first_signaled as number } : { ret: r.ret };
    },
    syncobjSignal(handles, points) {
      if (points === undefined) must("SYNCOBJ_SIGNAL", { handles: [...handles], count_handles: handles.length });
      else must("SYNCOBJ_TIMELINE_SIGNAL", { handles: [...handles], points: [...points], count_handles: handles.length });
    },
    syncobjQuery: (handles, flags = 0) =>
      must("SYNCOBJ_QUERY", { handles: [...handles], points: handles.map(() => 0), count_handles: handles.length, flags }).points as (number | string)[],
    syncobjExport: (handle) => must("SYNCOBJ_HANDLE_TO_FD", { handle }).fd as number,
    syncobjImport: (fd) => must("SYNCOBJ_FD_TO_HANDLE", { fd }).handle as number,
  };
}

/** `-ERRNO.<name>`, for readable expectations: `expect(ret).toBe(neg("EINVAL"))`. */
export const neg = (name: keyof typeof ERRNO): number => -ERRNO[name];
