/**
 * What a userspace workload client (`wl<N>.<name>`) says about itself: its setup, each frame it
 * submits, skips and sees completed, and how it ended. Only the client publishes these; everything
 * it learns comes from the driver's answers (ioctl returns, syncobj waits), as for a real process.
 */
import { z } from "zod";
import { defineEvent } from "../../shared/events/registry.ts";

const ns = z.number().int().nonnegative();
const count = z.number().int().nonnegative();
/** The client's actor name, `wl<gpu>.<name>`. */
const client = z.string().min(1);
const frame = z.number().int().positive();

/** Subject paths of workload client `name` on GPU `gpu`. */
export const workloadPaths = (gpu: number, name: string) => ({
  /** `FrameSubmitted`, `FrameSkipped`, `FrameCompleted`. */
  frame: `wl${gpu}.${name}.frame`,
  /** `WorkloadReady`, `WorkloadFailed`, `WorkloadFinished`. */
  state: `wl${gpu}.${name}.state`,
});

/** Setup finished: the DRM file, VM, BOs, group and syncobjs exist; frames start at the next vsync. */
export const WorkloadReady = defineEvent(
  "WorkloadReady",
  z.object({ client, file: count, vmId: count, group: count, openRetries: count, setupNs: ns }),
  "A workload client finished its setup (open, VM, BOs, VM_BIND, streams written, group and syncobjs created).",
);

/** A frame's geometry and fragment jobs were submitted (GROUP_SUBMIT returned 0). */
export const FrameSubmitted = defineEvent(
  "FrameSubmitted",
  z.object({ client, frame, vsyncNs: ns, vertices: count, pixels: count, inFlight: count }),
  "A frame was submitted: a RUN_IDVS job, and a RUN_FRAGMENT job waiting on its timeline point; inFlight counts it.",
);

/** A vsync came with the swapchain full (framesInFlight frames not yet completed): no frame started. */
export const FrameSkipped = defineEvent(
  "FrameSkipped",
  z.object({ client, vsyncNs: ns, inFlight: count }),
  "A vsync passed without a new frame because every swapchain image was still in flight.",
);

/** The frame's out-fence signalled: its SYNCOBJ_TIMELINE_WAIT returned 0. */
export const FrameCompleted = defineEvent(
  "FrameCompleted",
  z.object({ client, frame, vsyncNs: ns, latencyNs: ns }),
  "A frame's fragment job finished (its timeline point signalled); latency counts from the frame's vsync.",
);

/** A request was refused (negative ret or errno): the client stops, closing its DRM file. */
export const WorkloadFailed = defineEvent(
  "WorkloadFailed",
  z.object({ client, step: z.string().min(1), ret: z.number().int().negative() }),
  "A workload client got a negative answer at a step (ioctl name, mmap, write, wait) and stopped cleanly.",
);

/** The client is done (all frames completed, or stopped after a failure): its totals. */
export const WorkloadFinished = defineEvent(
  "WorkloadFinished",
  z.object({
    client,
    ok: z.boolean(),
    submitted: count,
    completed: count,
    skipped: count,
    meanLatencyNs: ns,
    maxLatencyNs: ns,
    firstVsyncNs: ns,
    lastCompletionNs: ns,
  }),
  "A workload client finished: frames submitted, completed and skipped, mean and max frame latency.",
);

/** Every workload event type. */
export const workloadEvents = [WorkloadReady, FrameSubmitted, FrameSkipped, FrameCompleted, WorkloadFailed, WorkloadFinished] as const;
