/**
 * A userspace client of the DRM device as an actor, `wl<gpu>.<name>`: the process a game is, with
 * its Mesa driver. It only publishes what a process can do — open(2), ioctl(2), mmap(2), CPU
 * stores through a mapping — and learns only from the driver's answers and its own virtual-time
 * timers (the display's vsync). Nothing blocks: each request carries a tag and the answer with
 * that tag moves the client on.
 *
 * Lifecycle: `waiting` (until `startAt`) → `opening` (-ENODEV: the node does not exist yet, retry
 * every 1 ms) → `setup` (`setupPlan.ts`, one request at a time) → `running` (a frame per vsync,
 * `frameBook.ts`) → `closing` → `done`; any negative answer publishes `WorkloadFailed` and goes
 * through `closing` to `failed`. Per frame: the vertex count stored into the slot's stream (when it
 * changed), one GROUP_SUBMIT of both jobs, then SYNCOBJ_TIMELINE_WAIT on the frame's point —
 * several waits are outstanding at once, as with one waiting thread per swapchain image.
 */
import type { ActorBehaviour, ActorContext, ActorSpec } from "../../shared/actor/actor.ts";
import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import { ERRNO } from "../../shared/gpu/errno.ts";
import type { WorkloadClient } from "../../shared/scenario/scenarioSchema.ts";
import type { HrTimer } from "../../shared/time/hrtimer.ts";
import {
  BoCpuAccessCompleted, BoCpuWriteIssued, BoMmapRequested, DrmFileCloseRequested, DrmFileClosed, DrmFileOpened, DrmFileOpenFailed,
  DrmFileOpenRequested, IoctlCompleted, IoctlIssued,
} from "../driver/uapi/uapiEvents.ts";
import { uapiPaths } from "../driver/uapi/uapiPaths.ts";
import { encodeBytes } from "../memory/memoryWrites.ts";
import { allFramesDone, frameVertices, meanLatencyNs, newFrameBook, nextVsync, onFrameDone, onVsync, type FrameBook } from "./frameBook.ts";
import { frameSubmit, frameWait, vertexWrite } from "./frameRequests.ts";
import { completeSetup, SETUP_PLAN, type PartialSetup, type SetupResults, type WorkloadRequest } from "./setupPlan.ts";
import { FrameCompleted, FrameSkipped, FrameSubmitted, WorkloadFailed, WorkloadFinished, WorkloadReady, workloadPaths } from "./workloadEvents.ts";

/** Retry period of open(2) while the device is not registered. */
export const OPEN_RETRY_NS = 1_000_000;

/** Where the client is in its life. */
export type WorkloadPhase = "waiting" | "opening" | "setup" | "running" | "closing" | "done" | "failed";

/** What an outstanding request was for. */
type Pending =
  | { readonly kind: "open" }
  | { readonly kind: "setup"; readonly step: number }
  | { readonly kind: "vertices"; readonly frame: number; readonly slot: number }
  | { readonly kind: "submit"; readonly frame: number }
  | { readonly kind: "wait"; readonly frame: number }
  | { readonly kind: "close" };

/** The step a failed frame-loop request is reported as (`WorkloadFailed.step`). */
const STEP_OF: Record<Exclude<Pending["kind"], "setup">, string> = {
  open: "open", vertices: "write", submit: "GROUP_SUBMIT", wait: "SYNCOBJ_TIMELINE_WAIT", close: "close",
};

/** The actor name of client `name` on GPU `gpu`. */
export const workloadActorName = (gpu: number, name: string): string => `wl${gpu}.${name}`;

/** The workload actor of one configured client. */
export function workloadActor(cfg: WorkloadClient): ActorSpec {
  const uapi = uapiPaths(cfg.gpu);
  const paths = workloadPaths(cfg.gpu, cfg.name);
  return {
    name: workloadActorName(cfg.gpu, cfg.name),
    subscribes: [uapi.fileDone, uapi.ioctlDone, uapi.mmapDone],
    create(ctx: ActorContext): ActorBehaviour {
      let phase: WorkloadPhase = "waiting";
      let file: number | undefined;
      let retries = 0;
      let openedAt = 0;
      let tags = 0;
      let partial: PartialSetup = {};
      let setup: SetupResults | undefined;
      let book: FrameBook = newFrameBook(cfg.frames, cfg.framesInFlight);
      let failed = false;
      const slotVertices: number[] = Array.from({ length: cfg.framesInFlight }, () => cfg.vertices);
      const frameVerts = new Map<number, number>();
      const pending = new Map<string, Pending>();

      const send = (req: WorkloadRequest, why: Pending): void => {
        const tag = `${ctx.name}#${tags++}`;
        pending.set(tag, why);
        if (req.kind === "ioctl") ctx.publish(IoctlIssued, uapi.ioctl, { file: file!, ioctl: req.ioctl, args: req.args, tag });
        else if (req.kind === "mmap") ctx.publish(BoMmapRequested, uapi.mmap, { file: file!, offset: req.offset, length: req.length, tag });
        else ctx.publish(BoCpuWriteIssued, uapi.mmap, { file: file!, mmapOffset: req.mmapOffset, offset: req.offset, data: encodeBytes(req.bytes), tag });
      };
      const open = (): void => {
        phase = "opening";
        const tag = `${ctx.name}#${tags++}`;
        pending.set(tag, { kind: "open" });
        ctx.publish(DrmFileOpenRequested, uapi.file, { client: ctx.name, tag, ...(cfg.capSysNice ? { capSysNice: true } : {}) });
      };
      const retry = ctx.timer("open-retry", () => (open(), "norestart"));
      const vsync: HrTimer = ctx.timer("vsync", (t) => {
        onVsyncTick();
        if (phase === "running" && book.submitted < book.target) t.start(nextVsync(ctx.nowNs(), cfg.fps).atNs, "abs");
        return "norestart";
      });

      const finish = (ok: boolean): void => {
        vsync.cancel();
        failed = !ok;
        ctx.publish(WorkloadFinished, paths.state, {
          client: ctx.name, ok, submitted: book.submitted, completed: book.completed, skipped: book.skipped,
          meanLatencyNs: meanLatencyNs(book), maxLatencyNs: book.maxLatencyNs,
          firstVsyncNs: Math.max(0, book.firstVsyncNs), lastCompletionNs: Math.max(0, book.lastCompletionNs),
        });
        if (file === undefined) {
          phase = "failed";
          return;
        }
        phase = "closing";
        const tag = `${ctx.name}#${tags++}`;
        pending.clear();
        pending.set(tag, { kind: "close" });
        ctx.publish(DrmFileCloseRequested, uapi.file, { file, tag });
      };
      const fail = (step: string, ret: number): void => {
        ctx.publish(WorkloadFailed, paths.state, { client: ctx.name, step, ret });
        finish(false);
      };

      const setupStep = (i: number): void => {
        const step = SETUP_PLAN[i];
        if (step !== undefined) return send(step.request(partial, cfg), { kind: "setup", step: i });
        setup = completeSetup(partial);
        if (setup === undefined) return fail("setup", -ERRNO.EINVAL);
        phase = "running";
        ctx.publish(WorkloadReady, paths.state, { client: ctx.name, file: file!, vmId: setup.vmId, group: setup.group, openRetries: retries, setupNs: ctx.nowNs() - openedAt });
        vsync.start(nextVsync(ctx.nowNs(), cfg.fps).atNs, "abs");
      };

      function onVsyncTick(): void {
        if (phase !== "running" || setup === undefined) return;
        const r = onVsync(book, ctx.nowNs());
        book = r.book;
        const d = r.decision;
        if (d.kind === "skip") ctx.publish(FrameSkipped, paths.frame, { client: ctx.name, vsyncNs: ctx.nowNs(), inFlight: book.inFlight.length });
        if (d.kind !== "render") return;
        const vertices = cfg.vertexJitter === 0 ? cfg.vertices : frameVertices(cfg.vertices, cfg.vertexJitter, ctx.rng.float());
        frameVerts.set(d.frame, vertices);
        if (slotVertices[d.slot] === vertices) return send(frameSubmit(setup, d.frame, d.slot), { kind: "submit", frame: d.frame });
        slotVertices[d.slot] = vertices;
        send(vertexWrite(setup, d.slot, vertices), { kind: "vertices", frame: d.frame, slot: d.slot });
      }

      /** An answer to one of our requests: ret and output fields. */
      const answered = (why: Pending, ret: number, out: Readonly<Record<string, unknown>>): void => {
        if (ret < 0) {
          return fail(why.kind === "setup" ? SETUP_PLAN[why.step]!.name : STEP_OF[why.kind], ret);
        }
        switch (why.kind) {
          case "setup":
            partial = SETUP_PLAN[why.step]!.apply(partial, out);
            return setupStep(why.step + 1);
          case "vertices":
            return send(frameSubmit(setup!, why.frame, why.slot), { kind: "submit", frame: why.frame });
          case "submit": {
            const f = book.inFlight.find((x) => x.frame === why.frame);
            ctx.publish(FrameSubmitted, paths.frame, {
              client: ctx.name, frame: why.frame, vsyncNs: f?.vsyncNs ?? ctx.nowNs(), vertices: frameVerts.get(why.frame) ?? cfg.vertices,
              pixels: cfg.width * cfg.height, inFlight: book.inFlight.length,
            });
            return send(frameWait(setup!, why.frame, ctx.nowNs() + cfg.waitTimeout), { kind: "wait", frame: why.frame });
          }
          case "wait": {
            const done = onFrameDone(book, why.frame, ctx.nowNs());
            if (done === undefined) return;
            book = done.book;
            frameVerts.delete(why.frame);
            ctx.publish(FrameCompleted, paths.frame, { client: ctx.name, frame: why.frame, vsyncNs: done.vsyncNs, latencyNs: done.latencyNs });
            if (allFramesDone(book)) finish(true);
            return;
          }
          default:
            return;
        }
      };

      ctx.timer("start", () => ((openedAt = ctx.nowNs()), open(), "norestart")).start(cfg.startAt, "abs");

      return {
        handle(e: Envelope) {
          const tag = (e.payload as { tag?: unknown }).tag;
          if (typeof tag !== "string") return;
          const why = pending.get(tag);
          if (why === undefined) return;
          pending.delete(tag);
          if (EventRegistry.is(DrmFileOpened, e)) {
            file = e.payload.file;
            phase = "setup";
            setupStep(0);
          } else if (EventRegistry.is(DrmFileOpenFailed, e)) {
            if (e.payload.errno === -ERRNO.ENODEV) {
              retries++;
              retry.start(OPEN_RETRY_NS);
            } else {
              fail("open", e.payload.errno);
            }
          } else if (EventRegistry.is(DrmFileClosed, e)) {
            file = undefined;
            phase = failed ? "failed" : "done";
          } else if (EventRegistry.is(IoctlCompleted, e)) {
            answered(why, e.payload.ret, e.payload.out ?? {});
          } else if (EventRegistry.is(BoCpuAccessCompleted, e)) {
            answered(why, e.payload.ret, {});
          }
        },
        snapshot() {
          return {
            phase,
            ...(file !== undefined ? { file } : {}),
            openRetries: retries,
            setup: setup ?? partial,
            frames: { submitted: book.submitted, completed: book.completed, skipped: book.skipped, inFlight: book.inFlight.map((f) => f.frame) },
            pending: pending.size,
          };
        },
      };
    },
  };
}
