/**
 * The DRM device's user-facing side inside the driver actor `drv<N>`: routes the uAPI events
 * (files, ioctls, CPU mappings, VM activation) and the MMU interrupt to kernel tasks over the
 * driver state, and answers every request with exactly one event carrying its tag. It exists
 * only for a registered device — {@link createUapiDevice} takes `DeviceCtx<"registered">` — so
 * no ioctl can reach a device that probe did not finish.
 *
 * Files are the processes' fds: a client that opened files here cannot use another client's
 * (-EBADF), whatever number it names.
 *
 * An exception inside a handler is a simulator bug: the request is still answered (-EIO, so the
 * client does not hang) and the exception is re-thrown from a timer of its own, where the runtime
 * records it as `ActorHandlerFailed` without disturbing the other tasks.
 */
import type { ActorContext } from "../../../shared/actor/actor.ts";
import type { Envelope } from "../../../shared/events/envelope.ts";
import { EventRegistry } from "../../../shared/events/registry.ts";
import { ERRNO } from "../../../shared/gpu/errno.ts";
import { IrqLineChanged } from "../../regs/regsEvents.ts";
import type { DeviceCtx } from "../deviceCtx.ts";
import type { KTask } from "../ktask.ts";
import type { KernelTaskRunner } from "../ktaskRunner.ts";
import { boCpuRead, boCpuWrite, boMmap, boMunmap, type CpuAccessResult } from "./cpuAccess.ts";
import { closeDrmFile, openDrmFile } from "./drmFile.ts";
import { openFile, type DriverState, type DrmFileState } from "./driverState.ts";
import { runHandler, settle, type KernelCtx } from "./ioctlContext.ts";
import { ioctlHandler } from "./ioctlTable.ts";
import { mmuIrqHandler } from "./mmuIrq.ts";
import { describeDriverState } from "./stateSnapshot.ts";
import {
  BoCpuAccessCompleted, BoCpuReadIssued, BoCpuWriteIssued, BoMmapRequested, BoMunmapRequested, DrmFileCloseRequested, DrmFileClosed,
  DrmFileOpened, DrmFileOpenRequested, IoctlCompleted, IoctlIssued, VmActivationRequested,
} from "./uapiEvents.ts";
import { uapiPaths } from "./uapiPaths.ts";
import { vmActivate } from "./vmActivate.ts";

/** The uAPI side of a registered device. */
export interface UapiDevice {
  readonly state: DriverState;
  /** Handle a delivered event; false when it is none of the uAPI's. */
  handle(e: Envelope): boolean;
  snapshot(): unknown;
}

/**
 * The uAPI of a registered device over the driver state its probe built, hosted by the driver
 * actor (its context and task runner).
 */
export function createUapiDevice(ctx: ActorContext, tasks: KernelTaskRunner, dev: DeviceCtx<"registered">, d: DriverState): UapiDevice {
  const paths = uapiPaths(dev.gpu);
  let bugs = 0;
  const crash = (where: string) => (e: unknown) => {
    const t = ctx.timer(`bug-${bugs++}`, () => {
      throw e instanceof Error ? new Error(`${where}: ${e.message}`, { cause: e }) : new Error(`${where}: ${String(e)}`);
    });
    t.start(0);
  };
  const kc: KernelCtx = { d, now: () => ctx.nowNs(), spawn: (name, task) => tasks.start(name, task, () => {}, crash(name)) };
  const run = <R>(name: string, task: KTask<R>, done: (r: R) => void, onBug: () => void) =>
    tasks.start(name, task, done, (e) => {
      onBug();
      crash(name)(e);
    });
  let irqBusy = false;
  let irqAgain = false;
  const serviceMmuIrq = (): void => {
    irqBusy = true;
    irqAgain = false;
    run("mmu-irq", mmuIrqHandler(d), () => ((irqBusy = false), irqAgain && serviceMmuIrq()), () => (irqBusy = false));
  };
  /**
   * The open file `file` as the sender may use it: a client that opened files on this device can
   * only use its own (fds are per process); other sources (scenario steps, injectors) act for the
   * file's client.
   */
  const clients = new Set<string>();
  const ownFile = (e: Envelope, file: number): DrmFileState | undefined => {
    const f = openFile(d, file);
    return f !== undefined && clients.has(e.source) && e.source !== f.client ? undefined : f;
  };
  const cpu = (e: Envelope, file: number, tag: string, op: "mmap" | "munmap" | "write" | "read", body: (f: DrmFileState) => KTask<CpuAccessResult> | CpuAccessResult) => {
    const answer = (r: CpuAccessResult) => ctx.publish(BoCpuAccessCompleted, paths.mmapDone, { file, tag, op, ...r });
    const f = ownFile(e, file);
    if (f === undefined) return answer({ ret: -ERRNO.EBADF });
    run(`${op}:${file}:${tag}`, settle(body(f)), answer, () => answer({ ret: -ERRNO.EIO }));
  };

  return {
    state: d,
    handle(e: Envelope): boolean {
      if (EventRegistry.is(IoctlIssued, e)) {
        const { file, ioctl, tag, args } = e.payload;
        const answer = (ret: number, out?: Readonly<Record<string, unknown>>) =>
          ctx.publish(IoctlCompleted, paths.ioctlDone, { file, tag, ioctl, ret, ...(out !== undefined && { out: { ...out } }) });
        const f = ownFile(e, file);
        if (f === undefined) return answer(-ERRNO.EBADF), true;
        const h = ioctlHandler(ioctl, d.uapiMinor);
        if (h === undefined) return answer(-ERRNO.EINVAL), true;
        run(`ioctl:${file}:${tag}`, runHandler(h, { ...kc, file: f }, args), (r) => answer(r.ret, r.out), () => answer(-ERRNO.EIO));
      } else if (EventRegistry.is(DrmFileOpenRequested, e)) {
        const f = openDrmFile(d, e.payload.client, e.payload.capSysNice === true);
        clients.add(e.payload.client);
        ctx.publish(DrmFileOpened, paths.fileDone, { client: e.payload.client, tag: e.payload.tag, file: f.id });
      } else if (EventRegistry.is(DrmFileCloseRequested, e)) {
        const { file, tag } = e.payload;
        const answer = (ret: number) => ctx.publish(DrmFileClosed, paths.fileDone, { file, ...(tag !== undefined && { tag }), ret });
        const f = ownFile(e, file);
        if (f === undefined) return answer(-ERRNO.EBADF), true;
        run(`close:${file}`, closeDrmFile(kc, f), () => answer(0), () => answer(-ERRNO.EIO));
      } else if (EventRegistry.is(BoMmapRequested, e)) {
        cpu(e, e.payload.file, e.payload.tag, "mmap", (f) => boMmap(d, f, e.payload.offset, e.payload.length));
      } else if (EventRegistry.is(BoMunmapRequested, e)) {
        cpu(e, e.payload.file, e.payload.tag, "munmap", (f) => boMunmap(d, f, e.payload.offset));
      } else if (EventRegistry.is(BoCpuWriteIssued, e)) {
        const p = e.payload;
        cpu(e, p.file, p.tag, "write", (f) => boCpuWrite(d, f, p.mmapOffset, p.offset, p.data));
      } else if (EventRegistry.is(BoCpuReadIssued, e)) {
        const p = e.payload;
        cpu(e, p.file, p.tag, "read", (f) => boCpuRead(d, f, p.mmapOffset, p.offset, p.length));
      } else if (EventRegistry.is(VmActivationRequested, e)) {
        run(`activate:${e.payload.file}:${e.payload.vmId}`, vmActivate(d, e.payload.file, e.payload.vmId), () => {}, () => {});
      } else if (EventRegistry.is(IrqLineChanged, e)) {
        if (e.payload.line !== "mmu" || !e.payload.asserted) return false;
        if (irqBusy) irqAgain = true;
        else serviceMmuIrq();
      } else {
        return false;
      }
      return true;
    },
    snapshot: () => describeDriverState(d),
  };
}
