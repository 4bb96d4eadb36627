import type { ActorBehaviour, ActorContext, ActorSpec } from "../../shared/actor/actor.ts";
import { hostMachine, type HostedMachine } from "../../shared/actor/hostedMachine.ts";
import { sendChecked } from "../../shared/actor/xstateHost.ts";
import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import { INJECT_PATH } from "../../shared/runtime/simulation.ts";
import { popcount } from "../../shared/gpu/model.ts";
import { MemoryWritten } from "../memory/memoryEvents.ts";
import { memoryPaths } from "../memory/memoryReplica.ts";
import { TranslationCompleted, TranslationRequested } from "../mmu/mmuEvents.ts";
import { mmuPaths } from "../mmu/mmuPaths.ts";
import { DomainUtilisationReported } from "../power/energyEvents.ts";
import { FrequencyChanged, PowerDomainChanged, PowerTransitionStarted } from "../power/powerEvents.ts";
import { powerPaths } from "../power/powerService.ts";
import { GpuSoftResetCompleted } from "../regs/regsEvents.ts";
import { regsPaths } from "../regs/regsPaths.ts";
import { jobMachine, type JobDeps, type JobSpec } from "./jobMachine.ts";
import { jobOutputWrites } from "./jobOutputs.ts";
import { runTimeNs } from "./jobTiming.ts";
import { createShaderFaults } from "./shaderFaults.ts";
import { JobCompleted, JobDispatched, JobFaulted, JobFaultInjected, JobStarted, PowerOffDuringJob, ShaderUtilisationReported, ShaderUtilisationRequested } from "./shaderEvents.ts";
import { shaderPaths } from "./shaderPaths.ts";
import { closeWindow, createMeter, setBusy } from "./utilisation.ts";

/** Configuration of a GPU's shader cores, from its model. */
export interface ShaderConfig {
  /** GPU index: the actor is `gpu<N>.shader`. */
  readonly gpu: number;
  /** SHADER_PRESENT. */
  readonly shaderPresent: number;
  /** The clock until the first `FrequencyChanged` (the power controller's initial OPP). */
  readonly initialHz: number;
}

type JobActor = HostedMachine<typeof jobMachine>;

/**
 * The shader cores of one GPU as an actor (`gpu<N>.shader`). A dispatched job has its ranges
 * (and its output writes, as write accesses) translated by the MMU, runs on the powered cores of
 * its mask at the current clock (`jobMachine.ts`), and on completion publishes its output as
 * `MemoryWritten` at the translated addresses, then `JobCompleted`. Cores that begin powering down
 * under a job lose it (`PowerOffDuringJob`, `JobFaulted` power-lost); a soft reset loses every job.
 *
 * Utilisation: the busy fraction of the powered cores goes to the power controller's energy
 * model as `DomainUtilisationReported` each time it changes (at job start and end), and busy time
 * per core since the last report answers `ShaderUtilisationRequested` (devfreq polls; no periodic
 * report, so an idle GPU logs nothing).
 *
 * Injected job hangs, shader-core faults and bad job ranges (MMU faults) are applied here
 * (`shaderFaults.ts`).
 */
export function shaderActor(config: ShaderConfig): ActorSpec {
  const paths = shaderPaths(config.gpu);
  const mmu = mmuPaths(config.gpu);
  const pwr = powerPaths(config.gpu);
  return {
    name: `gpu${config.gpu}.shader`,
    subscribes: [paths.dispatch, paths.utilRequest, paths.inject, INJECT_PATH, mmu.translated, pwr.state, regsPaths(config.gpu).reset],
    create(ctx: ActorContext): ActorBehaviour {
      const jobs = new Map<string, JobActor>();
      /** Cores occupied by started jobs (running or hung). */
      const occupied = new Map<string, number>();
      let ready = 0;
      let goingDown = 0;
      let hz = config.initialHz;
      let meter = createMeter(0);
      let utilisation = 0;
      let finished = { completed: 0, faulted: 0 };
      const powered = () => (ready & ~goingDown) >>> 0;
      /** Jobs an injected shader-core fault ends halfway through their run. */
      const faultHalfway = new Set<string>();
      const faults = createShaderFaults(ctx, config.gpu, {
        isLive: (job) => jobs.has(job),
        inject: (job, effect) => {
          const m = jobs.get(job);
          if (m !== undefined) sendChecked(m, { type: "INJECT", effect });
        },
      });
      /** A shader core faults under `job` after `ns`. */
      const faultLater = (job: string, ns: number) =>
        ctx.timer(`shader-fault.${job}`, () => {
          const m = jobs.get(job);
          if (m !== undefined) sendChecked(m, { type: "INJECT", effect: "fault" });
          return "norestart";
        }).start(Math.max(1, Math.floor(ns / 2)));

      const refreshBusy = () => {
        let busy = 0;
        for (const cores of occupied.values()) busy |= cores;
        meter = setBusy(meter, ctx.nowNs(), busy >>> 0);
        const n = popcount(powered());
        const u = n === 0 ? 0 : popcount((busy & powered()) >>> 0) / n;
        if (u !== utilisation) ctx.publish(DomainUtilisationReported, pwr.util, { domain: "shader", utilisation: (utilisation = u) });
      };

      const jobDeps = (spec: JobSpec): JobDeps => {
        const run = ctx.timer(`job-run.${spec.job}`, () => {
          const m = jobs.get(spec.job);
          if (m !== undefined) sendChecked(m, { type: "RUN_DONE" });
          return "norestart";
        });
        const end = () => {
          jobs.delete(spec.job);
          occupied.delete(spec.job);
          refreshBusy();
        };
        return {
          nowNs: () => ctx.nowNs(),
          poweredCores: powered,
          hz: () => hz,
          started(cores, atHz, durationNs) {
            ctx.publish(JobStarted, paths.job, { job: spec.job, as: spec.as, kind: spec.kind, cores, hz: atHz, ...(durationNs !== undefined ? { durationNs } : {}) });
            occupied.set(spec.job, cores);
            refreshBusy();
            if (faultHalfway.delete(spec.job)) faultLater(spec.job, durationNs ?? runTimeNs(spec.cost.cycles, cores, atHz));
          },
          completed(cores, segments, runNs) {
            for (const w of jobOutputWrites(spec.job, spec.writes ?? [], segments)) ctx.publish(MemoryWritten, memoryPaths(config.gpu).write, w);
            ctx.publish(JobCompleted, paths.job, { job: spec.job, as: spec.as, cores, cycles: spec.cost.cycles, runNs });
            finished = { ...finished, completed: finished.completed + 1 };
            end();
          },
          faulted(reason, fault) {
            ctx.publish(JobFaulted, paths.job, { job: spec.job, as: spec.as, reason, ...(fault !== undefined ? { fault } : {}) });
            finished = { ...finished, faulted: finished.faulted + 1 };
            end();
          },
          runFor: (ns) => run.start(ns, "rel"),
          stopRun: () => void run.cancel(),
        };
      };

      const dispatch = (dispatched: JobSpec) => {
        if (jobs.has(dispatched.job)) return void ctx.publish(JobFaulted, paths.job, { job: dispatched.job, as: dispatched.as, reason: "duplicate-job" });
        const { spec, faultHalfway: halfway } = faults.atDispatch(dispatched);
        if (halfway) faultHalfway.add(spec.job);
        const machine = hostMachine(ctx, jobMachine, { id: `${ctx.name}.job.${spec.job}`, input: { spec, deps: jobDeps(spec) } });
        jobs.set(spec.job, machine);
        const writes = (spec.writes ?? []).map((w) => ({ va: w.va, size: Buffer.byteLength(w.data, "base64"), access: "write" as const }));
        ctx.publish(TranslationRequested, mmu.translate, { requester: ctx.name, job: spec.job, as: spec.as, ranges: [...spec.ranges, ...writes.filter((w) => w.size > 0)] });
      };

      /** Jobs on cores that are no longer usable lose them. */
      const losePower = (lost: number) => {
        for (const [job, cores] of [...occupied]) {
          const hit = (cores & lost) >>> 0;
          if (hit === 0) continue;
          ctx.publish(PowerOffDuringJob, paths.fault, { job, cores: hit });
          const m = jobs.get(job);
          if (m !== undefined) sendChecked(m, { type: "POWER_LOST" });
        }
      };

      const all = (event: Parameters<JobActor["send"]>[0]) => {
        for (const m of [...jobs.values()]) sendChecked(m, event);
      };

      return {
        handle(e: Envelope) {
          faults.offer(e);
          if (EventRegistry.is(JobDispatched, e)) dispatch(e.payload);
          else if (EventRegistry.is(TranslationCompleted, e)) {
            const m = e.payload.requester === ctx.name ? jobs.get(e.payload.job) : undefined;
            if (m !== undefined) sendChecked(m, { type: "TRANSLATED", answer: e.payload });
          } else if (EventRegistry.is(PowerTransitionStarted, e) && e.payload.domain === "shader") {
            if (e.payload.direction === "down") {
              goingDown = (goingDown | e.payload.trans) >>> 0;
              losePower(e.payload.trans);
            }
          } else if (EventRegistry.is(PowerDomainChanged, e) && e.payload.domain === "shader") {
            ready = e.payload.ready >>> 0;
            goingDown = 0;
            losePower((~ready) >>> 0);
            refreshBusy();
          } else if (EventRegistry.is(FrequencyChanged, e)) {
            hz = e.payload.hz;
            all({ type: "FREQUENCY", hz });
          } else if (EventRegistry.is(GpuSoftResetCompleted, e)) {
            all({ type: "RESET" });
          } else if (EventRegistry.is(JobFaultInjected, e) && e.payload.gpu === config.gpu) {
            const m = jobs.get(e.payload.job);
            if (m !== undefined) {
              faults.legacyApplied(e.id, e.payload.job, e.payload.effect);
              sendChecked(m, { type: "INJECT", effect: e.payload.effect });
            }
          } else if (EventRegistry.is(ShaderUtilisationRequested, e)) {
            const { report, next } = closeWindow(meter, ctx.nowNs(), config.shaderPresent);
            meter = next;
            ctx.publish(ShaderUtilisationReported, paths.util, report);
          }
        },
        snapshot() {
          const running: Record<string, unknown> = {};
          for (const [job, m] of jobs) running[job] = { state: m.getSnapshot().value, cores: occupied.get(job) ?? 0 };
          return { ready, goingDown, hz, utilisation, jobs: running, ...finished, faults: faults.snapshot() };
        },
      };
    },
  };
}
