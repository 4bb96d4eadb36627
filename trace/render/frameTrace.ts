import { EventRegistry } from "../../shared/events/registry.ts";
import { FrameCompleted, FrameSkipped, FrameSubmitted } from "../../services/workload/workloadEvents.ts";
import type { TraceContext } from "../traceContext.ts";
import type { Pending } from "../traceQueue.ts";
import { HOST_PID, type TrackRef } from "../traceTracks.ts";
import type { Renderer } from "./renderer.ts";

/** A frame between its submission and its completion. */
interface Frame {
  readonly slice: Pending;
  readonly release: () => void;
}

/** The frames track of workload client `client` (`wl0.video frames`), in the host process. */
export const framesTrack = (client: string): TrackRef => ({ pid: HOST_PID, kind: "actor", name: `${client} frames` });

/**
 * Workload clients' frames: a track per client, `wl0.video frames`, with a slice `frame N` from
 * FrameSubmitted to FrameCompleted (the vsync and size as args at the start, the latency from
 * the vsync at the end); frames in flight together take lanes (`wl0.video frames (2)`). A vsync
 * without a frame (FrameSkipped, swapchain full) is an instant on the client's track, and the
 * host's `frames in flight` counter has one series per client.
 */
export function frameRenderer(ctx: TraceContext): Renderer {
  const frames = new Map<string, Frame>();
  const inFlight = new Map<string, number>();
  const count = (client: string, delta: number) => {
    const n = (inFlight.get(client) ?? 0) + delta;
    inFlight.set(client, n);
    ctx.counter(HOST_PID, "frames in flight", { [client]: n });
  };

  return {
    types: [FrameSubmitted.type, FrameCompleted.type, FrameSkipped.type],
    draw(e) {
      if (EventRegistry.is(FrameSubmitted, e)) {
        const { client, frame, vsyncNs, vertices, pixels } = e.payload;
        const key = `${client}/${frame}`;
        const args = { frame, vsyncNs, vertices, pixels };
        if (frames.has(key)) return void ctx.instant(framesTrack(client), `frame ${frame} (duplicate)`, "frame", args, e);
        const lane = ctx.lanes.acquire(framesTrack(client));
        frames.set(key, { slice: ctx.begin(lane.track, `frame ${frame}`, "frame", args, e), release: lane.release });
        count(client, +1);
      } else if (EventRegistry.is(FrameCompleted, e)) {
        const { client, frame, latencyNs } = e.payload;
        const key = `${client}/${frame}`;
        const f = frames.get(key);
        const args = { latencyNs, latencyMs: latencyNs / 1e6 };
        if (f === undefined) return void ctx.instant(framesTrack(client), `frame ${frame} completed`, "frame", { frame, ...args }, e);
        frames.delete(key);
        ctx.end(f.slice, args);
        f.release();
        count(client, -1);
      } else if (EventRegistry.is(FrameSkipped, e)) {
        const { client, vsyncNs, inFlight: full } = e.payload;
        ctx.instant(framesTrack(client), `skipped (${full} in flight)`, "frame", { vsyncNs, inFlight: full }, e);
      }
    },
    finish() {
      for (const f of frames.values()) {
        ctx.end(f.slice, { unfinished: true });
        f.release();
      }
      frames.clear();
    },
  };
}
