import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import {
  JobCompleted, JobDispatched, JobFaulted, JobStarted, PowerOffDuringJob, ShaderUtilisationReported,
} from "../../services/shader/shaderEvents.ts";
import type { TraceContext } from "../traceContext.ts";
import { hex } from "../traceEvent.ts";
import type { Pending } from "../traceQueue.ts";
import { actorTrack, csTrack, gpuPid, gpuTrack, type TrackRef } from "../traceTracks.ts";
import type { Renderer } from "./renderer.ts";

/** A job between its dispatch and its end: its v2 flow and its slices on the cores. */
interface Job {
  readonly flow: string;
  readonly dispatched: boolean;
  readonly gpu: number;
  running: { readonly slice: Pending; readonly release: () => void }[];
}

/** Job names the firmware gives (`csg0.cs1.job7`, services/firmware/csEffects.ts) name their queue. */
const FIRMWARE_JOB = /^csg(\d+)\.cs(\d+)\./;

/** The core numbers of a mask, ascending. */
const coresOf = (mask: number): number[] => Array.from({ length: 32 }, (_, i) => i).filter((i) => ((mask >>> i) & 1) === 1);

/**
 * Jobs on the shader cores. A dispatch is a zero-length marker on the dispatcher's track (the CS
 * queue `CSG n CS m` for a firmware job); the job is a slice named by the job on every core of
 * `JobStarted.cores`, from JobStarted to JobCompleted/JobFaulted (overlapping jobs take lanes,
 * `core 0 (2)`); the end is a marker on the shader actor's track. One v2 flow per job runs
 * dispatch → first core's slice → end. Faults, power-offs under a job, the `jobs running` and
 * `shader busy` counters complete the picture.
 */
export function jobRenderer(ctx: TraceContext): Renderer {
  const jobs = new Map<string, Job>();
  const running = new Map<number, number>();
  const newFlow = () => ctx.newFlowId();
  const gpuOf = (e: Envelope) => ctx.gpuOf(e) ?? 0;
  const count = (gpu: number, delta: number) => {
    const n = (running.get(gpu) ?? 0) + delta;
    running.set(gpu, n);
    ctx.counter(gpuPid(gpu), "jobs", { running: n });
  };
  const stop = (j: Job, args: Record<string, unknown>, counted = true) => {
    if (j.running.length === 0) return;
    for (const r of j.running) {
      ctx.end(r.slice, args);
      r.release();
    }
    j.running = [];
    if (counted) count(j.gpu, -1);
  };
  const queueOf = (gpu: number, job: string, source: string): TrackRef => {
    const m = FIRMWARE_JOB.exec(job);
    return m === null ? actorTrack(source) : csTrack(gpu, Number(m[1]), Number(m[2]));
  };

  return {
    types: [JobDispatched.type, JobStarted.type, JobCompleted.type, JobFaulted.type, PowerOffDuringJob.type, ShaderUtilisationReported.type],
    draw(e) {
      if (EventRegistry.is(JobDispatched, e)) {
        const { job, as, kind, coreMask, cost, ranges, writes, hang } = e.payload;
        const where = queueOf(gpuOf(e), job, e.source);
        const args = { job, as, kind, coreMask: hex(coreMask), cycles: cost.cycles, ranges: ranges.length, writes: writes?.length ?? 0, ...(hang === true ? { hang } : {}) };
        if (jobs.has(job)) return void ctx.instant(where, `dispatch ${job} (duplicate)`, "job", args, e);
        const flow = newFlow();
        ctx.marker(where, `dispatch ${job}`, "job", args, { id: flow, in: false, out: true }, e);
        jobs.set(job, { flow, dispatched: true, gpu: gpuOf(e), running: [] });
      } else if (EventRegistry.is(JobStarted, e)) {
        const { job, as, kind, cores, hz, durationNs } = e.payload;
        const j = jobs.get(job) ?? { flow: newFlow(), dispatched: false, gpu: gpuOf(e), running: [] };
        jobs.set(job, j);
        stop(j, { restarted: true });
        const args = { job, kind, as, cores: hex(cores), MHz: hz / 1e6, ...(durationNs !== undefined ? { expectedNs: durationNs } : { hang: true }) };
        coresOf(cores).forEach((core, i) => {
          const lane = ctx.lanes.acquire(gpuTrack(j.gpu, "core", `core ${core}`));
          const flow = i === 0 ? { id: j.flow, in: j.dispatched, out: true } : undefined;
          j.running.push({ slice: ctx.begin(lane.track, job, "job", args, i === 0 ? e : undefined, flow), release: lane.release });
        });
        if (j.running.length > 0) count(j.gpu, +1);
      } else if (EventRegistry.is(JobCompleted, e)) {
        const { job, cycles, runNs } = e.payload;
        const j = jobs.get(job);
        if (j !== undefined) stop(j, { runNs, cycles });
        jobs.delete(job);
        ctx.marker(actorTrack(e.source), `${job} completed`, "job", { job, runNs, cycles }, j && { id: j.flow, in: true, out: false }, e);
      } else if (EventRegistry.is(JobFaulted, e)) {
        const { job, reason, fault } = e.payload;
        const args = { job, reason, ...(fault !== undefined ? { fault: { ...fault, faultStatus: hex(fault.faultStatus), faultAddress: hex(fault.faultAddress) } } : {}) };
        const j = reason === "duplicate-job" ? undefined : jobs.get(job);
        if (j === undefined) return void ctx.instant(actorTrack(e.source), `${job} faulted: ${reason}`, "fault", args, e);
        stop(j, { faulted: reason });
        jobs.delete(job);
        ctx.marker(actorTrack(e.source), `${job} faulted: ${reason}`, "fault", args, { id: j.flow, in: true, out: false }, e);
      } else if (EventRegistry.is(PowerOffDuringJob, e)) {
        ctx.instant(actorTrack(e.source), `${e.payload.job}: cores powered off`, "fault", { job: e.payload.job, cores: hex(e.payload.cores) }, e);
      } else if (EventRegistry.is(ShaderUtilisationReported, e)) {
        const { windowNs, busyNs, cores } = e.payload;
        if (windowNs === 0) return;
        ctx.counter(gpuPid(gpuOf(e)), "shader busy", Object.fromEntries([["all", busyNs / windowNs], ...cores.map((c) => [`core ${c.core}`, c.busyNs / windowNs])]));
      }
    },
    finish() {
      for (const j of jobs.values()) stop(j, { unfinished: true }, false);
    },
  };
}
