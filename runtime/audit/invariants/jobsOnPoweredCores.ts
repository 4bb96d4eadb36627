import { EventRegistry } from "../../../shared/events/registry.ts";
import { PowerDomainChanged, PowerTransitionStarted } from "../../../services/power/powerEvents.ts";
import { JobCompleted, JobFaulted, JobStarted } from "../../../services/shader/shaderEvents.ts";
import { gpuOf, refOf, type EventRef } from "../eventRef.ts";
import type { InvariantDef } from "./invariant.ts";

const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;

/**
 * No job runs on a powered-off core: a `JobStarted` uses only shader cores READY (and not
 * powering down) per the last `PowerDomainChanged`/`PowerTransitionStarted` of the shader domain,
 * and a job whose cores lost power never reports `JobCompleted` (it must be lost, as
 * `PowerOffDuringJob` + `JobFaulted power-lost` say).
 */
export const jobsOnPoweredCores: InvariantDef = {
  name: "jobs-on-powered-cores",
  statement: "no job runs on a powered-off shader core",
  reads: [PowerDomainChanged, PowerTransitionStarted, JobStarted, JobCompleted, JobFaulted],
  create(report) {
    interface Gpu { ready: number; goingDown: number; last: EventRef | undefined; running: Map<string, { cores: number; started: EventRef; lostPower?: EventRef }> }
    const gpus = new Map<number, Gpu>();
    const gpuState = (g: number): Gpu => {
      let s = gpus.get(g);
      if (s === undefined) gpus.set(g, (s = { ready: 0, goingDown: 0, last: undefined, running: new Map() }));
      return s;
    };
    const losePower = (s: Gpu, lost: number, by: EventRef) => {
      for (const j of s.running.values()) if ((j.cores & lost) !== 0 && j.lostPower === undefined) j.lostPower = by;
    };
    return {
      push(e) {
        const gpu = gpuOf(e) ?? 0;
        if (EventRegistry.is(PowerDomainChanged, e) && e.payload.domain === "shader") {
          const s = gpuState(gpu);
          s.ready = e.payload.ready >>> 0;
          s.goingDown = 0;
          s.last = refOf(e);
          losePower(s, ~s.ready >>> 0, s.last);
        } else if (EventRegistry.is(PowerTransitionStarted, e) && e.payload.domain === "shader" && e.payload.direction === "down") {
          const s = gpuState(gpu);
          s.goingDown = (s.goingDown | e.payload.trans) >>> 0;
          s.last = refOf(e);
          losePower(s, e.payload.trans, s.last);
        } else if (EventRegistry.is(JobStarted, e)) {
          const s = gpuState(gpu);
          const usable = (s.ready & ~s.goingDown) >>> 0;
          const off = (e.payload.cores & ~usable) >>> 0;
          if (off !== 0) {
            report({
              message: `job ${e.payload.job} started on cores ${hex(e.payload.cores)} but cores ${hex(off)} are not powered (READY ${hex(usable)})`,
              timeNs: e.timeNs, gpu, events: s.last === undefined ? [refOf(e)] : [s.last, refOf(e)],
            });
          }
          s.running.set(e.payload.job, { cores: e.payload.cores, started: refOf(e) });
        } else if (EventRegistry.is(JobCompleted, e)) {
          const s = gpuState(gpu);
          const j = s.running.get(e.payload.job);
          s.running.delete(e.payload.job);
          if (j?.lostPower !== undefined) {
            report({ message: `job ${e.payload.job} completed although its cores lost power during its run`, timeNs: e.timeNs, gpu, events: [j.started, j.lostPower, refOf(e)] });
          }
        } else if (EventRegistry.is(JobFaulted, e)) {
          gpuState(gpu).running.delete(e.payload.job);
        }
      },
      finish() {},
    };
  },
};
