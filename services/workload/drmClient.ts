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
import type { Envelope } from "../../shared/events/envelope.ts";
import type { AsyncDrmChannel, DrmChannel, DrmRequest } from "./drmChannel.ts";

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

/** A CPU access through a mapping (see {@link DrmFile.cpuAccess}). */
export type CpuOp = "read" | "write" | "mmap" | "munmap";

/** Options of a syncobj wait: timeline points, DRM_SYNCOBJ_WAIT_FLAGS_*, a timeout relative to now (virtual ns). */
export interface SyncobjWaitOptions {
  readonly points?: readonly (number | string)[];
  readonly flags?: number;
  readonly timeoutNs?: number;
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
  cpuAccess(op: CpuOp, mmapOffset: number, offset?: number, arg?: number | Uint8Array): { ret: number; data?: Uint8Array };
  close(): number;
  /** DRM_IOCTL_SYNCOBJ_CREATE → handle. */
  syncobjCreate(flags?: number): number;
  /** DRM_IOCTL_SYNCOBJ_WAIT / TIMELINE_WAIT with a timeout relative to now (virtual ns); → ret and first_signaled. */
  syncobjWait(handles: readonly number[], opts?: SyncobjWaitOptions): { ret: number; first?: number };
  /** DRM_IOCTL_SYNCOBJ_SIGNAL / TIMELINE_SIGNAL. */
  syncobjSignal(handles: readonly number[], points?: readonly (number | string)[]): void;
  /** DRM_IOCTL_SYNCOBJ_QUERY → the points. */
  syncobjQuery(handles: readonly number[], flags?: number): (number | string)[];
  /** DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD → fd token. */
  syncobjExport(handle: number): number;
  /** DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE → handle. */
  syncobjImport(fd: number): number;
}

/** {@link BoMapping} for a non-blocking client. */
export interface AsyncBoMapping {
  readonly handle: number;
  readonly offset: number;
  readonly length: number;
  read(off: number, len: number): Promise<Uint8Array>;
  write(off: number, bytes: Uint8Array | readonly number[]): Promise<void>;
  unmap(): Promise<void>;
}

/** {@link DrmFile} for a non-blocking client (over NATS): the same operations, returning promises. */
export type AsyncDrmFile = {
  readonly [K in keyof DrmFile]: K extends "mmap"
    ? (handle: number, length?: number) => Promise<AsyncBoMapping>
    : DrmFile[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<R> : DrmFile[K];
};

/** One client operation as a coroutine: it yields requests and is resumed with their answers. */
type Op<T> = Generator<DrmRequest, T, Envelope>;

/** What the operations of one DRM file share. */
interface FileCore {
  readonly client: string;
  readonly fd: number;
  readonly paths: ReturnType<typeof uapiPaths>;
  readonly sizes: Map<number, number>;
  nextTag(): string;
  nowNs(): number;
}

const CPU_DONE = [BoCpuAccessCompleted.type];

/** How a process opens the device. */
export interface OpenOptions {
  /** The process holds CAP_SYS_NICE: HIGH and REALTIME groups are allowed. */
  readonly capSysNice?: boolean;
}

function* openOp(client: string, gpu: number, nextTag: () => string, opts: OpenOptions): Op<number> {
  const tag = nextTag();
  const opened = yield {
    def: DrmFileOpenRequested, path: uapiPaths(gpu).file, payload: { client, tag, ...(opts.capSysNice === true ? { capSysNice: true } : {}) },
    answer: { types: [DrmFileOpened.type, DrmFileOpenFailed.type], tag },
  };
  if (opened.type === DrmFileOpenFailed.type) throw new DrmError("open", (opened.payload as { errno: number }).errno);
  return (opened.payload as { file: number }).file;
}

function* ioctlOp(f: FileCore, name: string, args: unknown = {}): Op<IoctlReply> {
  const tag = f.nextTag();
  const e = yield { def: IoctlIssued, path: f.paths.ioctl, payload: { file: f.fd, ioctl: name, args, tag }, answer: { types: [IoctlCompleted.type], tag } };
  const p = e.payload as { ret: number; out?: Record<string, unknown> };
  if (name === "BO_CREATE" && p.ret === 0) f.sizes.set(p.out!.handle as number, p.out!.size as number);
  return { ret: p.ret, out: p.out ?? {} };
}

function* mustOp(f: FileCore, name: string, args: unknown): Op<Readonly<Record<string, unknown>>> {
  const r = yield* ioctlOp(f, name, args);
  if (r.ret !== 0) throw new DrmError(name, r.ret);
  return r.out;
}

function* cpuAccessOp(f: FileCore, op: CpuOp, mmapOffset: number, offset = 0, arg: number | Uint8Array = 0): Op<{ ret: number; data?: Uint8Array }> {
  const tag = f.nextTag();
  const base = { file: f.fd, tag };
  const req: DrmRequest =
    op === "mmap" ? { def: BoMmapRequested, path: f.paths.mmap, payload: { ...base, offset: mmapOffset, length: arg as number }, answer: { types: CPU_DONE, tag } }
    : op === "munmap" ? { def: BoMunmapRequested, path: f.paths.mmap, payload: { ...base, offset: mmapOffset }, answer: { types: CPU_DONE, tag } }
    : op === "read" ? { def: BoCpuReadIssued, path: f.paths.mmap, payload: { ...base, mmapOffset, offset, length: arg as number }, answer: { types: CPU_DONE, tag } }
    : { def: BoCpuWriteIssued, path: f.paths.mmap, payload: { ...base, mmapOffset, offset, data: encodeBytes(arg as Uint8Array) }, answer: { types: CPU_DONE, tag } };
  const e = yield req;
  const p = e.payload as { ret: number; data?: string };
  return p.data === undefined ? { ret: p.ret } : { ret: p.ret, data: decodeBytes(p.data) };
}

function* mmapOp(f: FileCore, handle: number, length?: number): Op<{ offset: number; length: number }> {
  const offset = (yield* mustOp(f, "BO_MMAP_OFFSET", { handle })).offset as number;
  const len = length ?? f.sizes.get(handle) ?? 4096;
  const m = yield* cpuAccessOp(f, "mmap", offset, 0, len);
  if (m.ret !== 0) throw new DrmError("mmap", m.ret);
  return { offset, length: len };
}

function* mappedOp(f: FileCore, op: "read" | "write" | "munmap", mmapOffset: number, off = 0, arg: number | Uint8Array = 0): Op<Uint8Array | undefined> {
  const r = yield* cpuAccessOp(f, op, mmapOffset, off, arg);
  if (r.ret !== 0) throw new DrmError(op, r.ret);
  return r.data;
}

function* closeOp(f: FileCore): Op<number> {
  const tag = f.nextTag();
  const e = yield { def: DrmFileCloseRequested, path: f.paths.file, payload: { file: f.fd, tag }, answer: { types: [DrmFileClosed.type], tag } };
  return (e.payload as { ret: number }).ret;
}

function* syncobjWaitOp(f: FileCore, handles: readonly number[], opts: SyncobjWaitOptions): Op<{ ret: number; first?: number }> {
  const timeout = opts.timeoutNs === undefined ? 0 : f.nowNs() + opts.timeoutNs;
  const args = { handles: [...handles], count_handles: handles.length, flags: opts.flags ?? 0, timeout_nsec: timeout };
  const r = opts.points === undefined ? yield* ioctlOp(f, "SYNCOBJ_WAIT", args) : yield* ioctlOp(f, "SYNCOBJ_TIMELINE_WAIT", { ...args, points: [...opts.points] });
  return r.ret === 0 ? { ret: 0, first: r.out.first_signaled as number } : { ret: r.ret };
}

function* syncobjSignalOp(f: FileCore, handles: readonly number[], points?: readonly (number | string)[]): Op<void> {
  if (points === undefined) yield* mustOp(f, "SYNCOBJ_SIGNAL", { handles: [...handles], count_handles: handles.length });
  else yield* mustOp(f, "SYNCOBJ_TIMELINE_SIGNAL", { handles: [...handles], points: [...points], count_handles: handles.length });
}

function* syncobjQueryOp(f: FileCore, handles: readonly number[], flags = 0): Op<(number | string)[]> {
  const out = yield* mustOp(f, "SYNCOBJ_QUERY", { handles: [...handles], points: handles.map(() => 0), count_handles: handles.length, flags });
  return out.points as (number | string)[];
}

/** Drive an operation to its end on a blocking channel. */
function runSync<T>(ch: DrmChannel, op: Op<T>): T {
  let step = op.next();
  while (step.done !== true) step = op.next(ch.request(step.value));
  return step.value;
}

/** Drive an operation to its end on a non-blocking channel. */
async function runAsync<T>(ch: AsyncDrmChannel, op: Op<T>): Promise<T> {
  let step = op.next();
  while (step.done !== true) step = op.next(await ch.request(step.value));
  return step.value;
}

/** What running an operation gives: its value (blocking channel) or a promise of it. */
type Ret<M extends "sync" | "async", T> = M extends "sync" ? T : Promise<T>;

/** The file's operations, with `run` driving each on the channel (sync or async). */
function fileApi<M extends "sync" | "async">(f: FileCore, run: <T>(op: Op<T>) => Ret<M, T>) {
  return {
    client: f.client,
    fd: f.fd,
    ioctl: (name: string, args?: unknown) => run(ioctlOp(f, name, args)),
    cpuAccess: (op: CpuOp, mmapOffset: number, offset?: number, arg?: number | Uint8Array) => run(cpuAccessOp(f, op, mmapOffset, offset, arg)),
    close: () => run(closeOp(f)),
    syncobjCreate: (flags = 0) => run((function* () { return (yield* mustOp(f, "SYNCOBJ_CREATE", { flags })).handle as number; })()),
    syncobjWait: (handles: readonly number[], opts: SyncobjWaitOptions = {}) => run(syncobjWaitOp(f, handles, opts)),
    syncobjSignal: (handles: readonly number[], points?: readonly (number | string)[]) => run(syncobjSignalOp(f, handles, points)),
    syncobjQuery: (handles: readonly number[], flags?: number) => run(syncobjQueryOp(f, handles, flags)),
    syncobjExport: (handle: number) => run((function* () { return (yield* mustOp(f, "SYNCOBJ_HANDLE_TO_FD", { handle })).fd as number; })()),
    syncobjImport: (fd: number) => run((function* () { return (yield* mustOp(f, "SYNCOBJ_FD_TO_HANDLE", { fd })).handle as number; })()),
  };
}

const core = (ch: { client: string; nextTag(): string; nowNs(): number }, gpu: number, fd: number): FileCore => ({
  client: ch.client, fd, paths: uapiPaths(gpu), sizes: new Map(), nextTag: () => ch.nextTag(), nowNs: () => ch.nowNs(),
});

/** Open the DRM device of GPU `gpu` for the channel's client; throws {@link DrmError} when it cannot be opened. */
export function openDevice(ch: DrmChannel, gpu = 0, opts: OpenOptions = {}): DrmFile {
  const f = core(ch, gpu, runSync(ch, openOp(ch.client, gpu, () => ch.nextTag(), opts)));
  const drive = <T>(op: Op<T>): T => runSync(ch, op);
  return {
    ...fileApi<"sync">(f, drive),
    mmap(handle, length) {
      const { offset, length: len } = drive(mmapOp(f, handle, length));
      return {
        handle, offset, length: len,
        read: (off, n) => drive(mappedOp(f, "read", offset, off, n))!,
        write: (off, bytes) => void drive(mappedOp(f, "write", offset, off, Uint8Array.from(bytes))),
        unmap: () => void drive(mappedOp(f, "munmap", offset)),
      };
    },
  };
}

/**
 * {@link openDevice} for a client that cannot block — in another process, over NATS — with the
 * same operations returning promises. Both are built from the same operation coroutines, so a
 * session issues the same requests either way.
 */
export async function openDeviceAsync(ch: AsyncDrmChannel, gpu = 0, opts: OpenOptions = {}): Promise<AsyncDrmFile> {
  const f = core(ch, gpu, await runAsync(ch, openOp(ch.client, gpu, () => ch.nextTag(), opts)));
  const drive = <T>(op: Op<T>): Promise<T> => runAsync(ch, op);
  return {
    ...fileApi<"async">(f, drive),
    async mmap(handle, length) {
      const { offset, length: len } = await drive(mmapOp(f, handle, length));
      return {
        handle, offset, length: len,
        read: async (off, n) => (await drive(mappedOp(f, "read", offset, off, n)))!,
        write: async (off, bytes) => void (await drive(mappedOp(f, "write", offset, off, Uint8Array.from(bytes)))),
        unmap: async () => void (await drive(mappedOp(f, "munmap", offset))),
      };
    },
  };
}

/** `-ERRNO.<name>`, for readable expectations: `expect(ret).toBe(neg("EINVAL"))`. */
export const neg = (name: keyof typeof ERRNO): number => -ERRNO[name];
