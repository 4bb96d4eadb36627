/**
 * The shape every ioctl handler has: a kernel task over the driver state and the calling DRM file
 * (`int (*func)(struct drm_device *, void *data, struct drm_file *)`), returning 0 or -errno and
 * the struct's output fields. Handlers that never block return at their first step, in the same
 * instant; the ones that touch registers or wait take virtual time.
 */
import { ERRNO, type ErrnoName } from "../../../shared/gpu/errno.ts";
import type { KTask } from "../ktask.ts";
import type { DriverState, DrmFileState } from "./driverState.ts";
import type { ArgResult } from "./userArgs.ts";

/** What a kernel path gets from the driver actor: its state, the clock and a way to start kernel tasks. */
export interface KernelCtx {
  readonly d: DriverState;
  /** `ktime_get()` on the virtual clock. */
  readonly now: () => number;
  /** Start a kernel task (a bind-queue worker, a work item); errors in it are the actor's failures. */
  readonly spawn: (name: string, task: KTask<void>) => void;
}

/** What a handler gets: the kernel context and the calling file. */
export interface IoctlCtx extends KernelCtx {
  readonly file: DrmFileState;
}

/** What an ioctl returns: `ret` (0 or -errno) and the output fields `drm_ioctl` copies back. */
export interface IoctlResult {
  readonly ret: number;
  readonly out?: Readonly<Record<string, unknown>>;
}

/** An ioctl handler: a kernel task, or a plain function for the ones that never block. */
export type IoctlHandler = (c: IoctlCtx, args: unknown) => KTask<IoctlResult> | IoctlResult;

/** A result, or a kernel task producing it, as a kernel task. */
export function* settle<T extends { readonly ret: number }>(r: T | KTask<T>): KTask<T> {
  return "ret" in r ? r : yield* r;
}

/** Run a handler as a kernel task whatever its kind. */
export function runHandler(h: IoctlHandler, c: IoctlCtx, args: unknown): KTask<IoctlResult> {
  return settle(h(c, args));
}

/** Success with output fields. */
export const ok = (out?: Readonly<Record<string, unknown>>): IoctlResult => (out === undefined ? { ret: 0 } : { ret: 0, out });

/** Failure with `-errno`. */
export const fail = (errno: ErrnoName): IoctlResult => ({ ret: -ERRNO[errno] });

/** The result of a failed argument step as an ioctl result. */
export const failed = (r: Extract<ArgResult<unknown>, { ok: false }>): IoctlResult => ({ ret: r.ret });
