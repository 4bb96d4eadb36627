import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import { pathOf } from "../../shared/events/subjects.ts";
import { errnoName } from "../../shared/gpu/errno.ts";
import { JobFenceSignalled, JobRingWritten, JobSubmitted } from "../../services/driver/sched/schedEvents.ts";
import type { TraceContext } from "../traceContext.ts";
import { hex } from "../traceEvent.ts";
import type { Pending } from "../traceQueue.ts";
import { HOST_PID, type TrackRef } from "../traceTracks.ts";
import type { Renderer } from "./renderer.ts";

/** A job between its submission and its fence signal: its lane, its slices and its v2 flow. */
interface QueuedJob {
  readonly track: TrackRef;
  readonly release: () => void;
  readonly slice: Pending;
  readonly flow: string;
  ring?: Pending;
}

const DRIVER = /^drv(\d+)(?:\.|$)/;

/** The driver (`drv<N>`) a log event comes from: its source's, else its subject's, else 0. */
export const driverOf = (e: Envelope): number => Number((DRIVER.exec(e.source) ?? DRIVER.exec(pathOf(e.subject) ?? "") ?? [])[1] ?? 0);

/** The host track of one driver queue: `drv0 file 1 group 1 queue 0` (queues are per file, group and index). */
export const queueTrack = (driver: number, file: number, group: number, queue: number): TrackRef => ({
  pid: HOST_PID, kind: "queue", name: `drv${driver} file ${file} group ${group} queue ${queue}`,
});

/** A fence error for a name: `-ETIMEDOUT`. */
const errorName = (errno: number): string => `-${errnoName(errno)}`;

/**
 * The driver's queues (panthor_sched.c): a track per queue, `drv<N> file F group G queue Q`, with
 * a slice `job g1.q0.j2` per job from JobSubmitted to JobFenceSignalled (the fence's error and its
 * errno name in the end args), holding a nested `on ring` slice from JobRingWritten
 * (`queue_run_job()`) to the signal. Jobs of one queue in flight together take lanes
 * (`… queue 0 (2)`). The signal is a zero-length marker after the slice, `job g1.q0.j2 signalled`,
 * or, for a failed fence, `job g1.q0.j2 -ETIMEDOUT` in the `fault` category; one v2 flow per job
 * runs from its submission to that marker.
 *
 * Simplified: the flow does not pass through the hardware job the firmware ran (`csgX.csY.jobN`),
 * because the log names no key joining a driver job to a firmware job (the firmware counts jobs
 * per stream, across resets and slot moves); a slice's name is fixed at its start, so a failed
 * job's error shows in the marker's name and the slice's args rather than the slice's name.
 */
export function queueRenderer(ctx: TraceContext): Renderer {
  const jobs = new Map<string, QueuedJob>();
  const keyOf = (driver: number, file: number, job: string) => `${driver}/${file}/${job}`;

  return {
    types: [JobSubmitted.type, JobRingWritten.type, JobFenceSignalled.type],
    draw(e) {
      const driver = driverOf(e);
      if (EventRegistry.is(JobSubmitted, e)) {
        const { file, group, queue, job, seqno, fence, deps, credits, streamAddr, streamSize } = e.payload;
        const key = keyOf(driver, file, job);
        const args = { job, seqno, fence, deps, credits, streamAddr: hex(streamAddr), streamSize };
        if (jobs.has(key)) return void ctx.instant(queueTrack(driver, file, group, queue), `submit ${job} (duplicate)`, "queue", args, e);
        const lane = ctx.lanes.acquire(queueTrack(driver, file, group, queue));
        const flow = ctx.newFlowId();
        const slice = ctx.begin(lane.track, `job ${job}`, "queue", args, e, { id: flow, in: false, out: true });
        jobs.set(key, { track: lane.track, release: lane.release, slice, flow });
      } else if (EventRegistry.is(JobRingWritten, e)) {
        const { file, group, queue, job, ringStart, insert, ringSeqno, resident } = e.payload;
        const j = jobs.get(keyOf(driver, file, job));
        const args = { job, ringStart, insert, ringSeqno, resident };
        if (j === undefined || j.ring !== undefined) return void ctx.instant(queueTrack(driver, file, group, queue), `${job} on ring`, "queue", args, e);
        j.ring = ctx.begin(j.track, "on ring", "queue", args, e);
      } else if (EventRegistry.is(JobFenceSignalled, e)) {
        const { file, group, queue, job, fence, error } = e.payload;
        const key = keyOf(driver, file, job);
        const j = jobs.get(key);
        const args = { job, fence, error, ...(error !== 0 ? { errnoName: errnoName(error) } : {}) };
        const name = error === 0 ? `job ${job} signalled` : `job ${job} ${errorName(error)}`;
        const cat = error === 0 ? "queue" : "fault";
        if (j === undefined) return void ctx.instant(queueTrack(driver, file, group, queue), name, cat, args, e);
        jobs.delete(key);
        if (j.ring !== undefined) ctx.end(j.ring);
        ctx.end(j.slice, args);
        ctx.marker(j.track, name, cat, args, { id: j.flow, in: true, out: false }, e);
        j.release();
      }
    },
    finish() {
      for (const j of jobs.values()) {
        if (j.ring !== undefined) ctx.end(j.ring, { unfinished: true });
        ctx.end(j.slice, { unfinished: true });
        j.release();
      }
      jobs.clear();
    },
  };
}
