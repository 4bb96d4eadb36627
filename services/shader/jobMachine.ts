import { assign, setup } from "xstate";
import type { PayloadOf } from "../../shared/events/registry.ts";
import type { TranslationCompleted } from "../mmu/mmuEvents.ts";
import type { Segment } from "../mmu/translateRanges.ts";
import { cyclesRetired, runTimeNs } from "./jobTiming.ts";
import type { JobDispatched, JobFaulted } from "./shaderEvents.ts";

/** A dispatched job's description. */
export type JobSpec = PayloadOf<typeof JobDispatched>;
/** The MMU's answer to the job's translation. */
export type JobTranslation = PayloadOf<typeof TranslationCompleted>;
/** Why a job was lost. */
export type JobFaultReason = PayloadOf<typeof JobFaulted>["reason"];

/** What the job machine needs from the shader actor. */
export interface JobDeps {
  readonly nowNs: () => number;
  /** Cores powered and not powering down now. */
  readonly poweredCores: () => number;
  readonly hz: () => number;
  readonly started: (cores: number, hz: number, durationNs: number | undefined) => void;
  readonly completed: (cores: number, segments: readonly Segment[], runNs: number) => void;
  readonly faulted: (reason: JobFaultReason, fault?: JobTranslation["fault"]) => void;
  /** Arm the job's run timer: `RUN_DONE` comes back after `ns` unless `stopRun` drops it first. */
  readonly runFor: (ns: number) => void;
  /** Drop the pending `RUN_DONE` (the job left `running`). */
  readonly stopRun: () => void;
}

type JobEvent =
  | { type: "TRANSLATED"; answer: JobTranslation }
  | { type: "RUN_DONE" }
  | { type: "FREQUENCY"; hz: number }
  | { type: "POWER_LOST" }
  | { type: "RESET" }
  | { type: "INJECT"; effect: "fault" | "hang" };

interface JobContext {
  readonly spec: JobSpec;
  readonly deps: JobDeps;
  /** An injected hang arrived while translating: the job hangs once it starts. */
  hang: boolean;
  cores: number;
  hz: number;
  segments: Segment[];
  cyclesLeft: number;
  /** When the current run segment (at `hz`) began. */
  sinceNs: number;
  startNs: number;
}

/** What a job machine is started with. */
export interface JobInput {
  readonly spec: JobSpec;
  readonly deps: JobDeps;
}

/**
 * The lifecycle of one job on the shader cores: `translating` (its ranges go through the MMU),
 * then `running` on the powered cores of its mask for cycles / (cores × hz), or `hung` (never
 * completes), ending `completed` or `faulted` (MMU fault, no powered core, cores powered off
 * under it, a GPU reset, an injected fault). A frequency change while running re-times the rest
 * of the work at the new clock. An injected hang during translation takes effect when the job starts.
 * The run's end is the actor's hrtimer (`runFor`, armed on entering `running`, dropped on leaving
 * it), which reports `RUN_DONE`: an XState `after` delay would do the same, plus XState's
 * scheduled-event bookkeeping on every job. Armed in the same place of the actor's order as the
 * delay was (after the start's publications), so the log is the same.
 *
 * One machine definition for every job (built once: a definition costs far more than a
 * transition); each job's spec and the shader actor's hooks come in as `input`.
 */
export const jobMachine = setup({
  types: {} as { context: JobContext; events: JobEvent; input: JobInput },
  guards: {
    translationFailed: ({ event }) => event.type === "TRANSLATED" && !event.answer.ok,
    noPoweredCore: ({ context }) => (context.spec.coreMask & context.deps.poweredCores()) === 0,
    hangs: ({ context }) => context.spec.hang === true || context.hang,
    injectsHang: ({ event }) => event.type === "INJECT" && event.effect === "hang",
  },
  actions: {
    mmuFault: ({ context, event }) => {
      if (event.type === "TRANSLATED") context.deps.faulted("mmu-fault", event.answer.fault);
    },
    noCore: ({ context }) => context.deps.faulted("no-powered-core"),
    powerLost: ({ context }) => context.deps.faulted("power-lost"),
    reset: ({ context }) => context.deps.faulted("reset"),
    injected: ({ context }) => context.deps.faulted("injected"),
    markHang: assign({ hang: true }),
    start: assign(({ context, event }) => {
      const { spec, deps } = context;
      const cores = (spec.coreMask & deps.poweredCores()) >>> 0;
      const hz = deps.hz();
      deps.started(cores, hz, spec.hang === true || context.hang ? undefined : runTimeNs(spec.cost.cycles, cores, hz));
      const now = deps.nowNs();
      const segments = event.type === "TRANSLATED" ? event.answer.segments : [];
      return { cores, hz, segments, cyclesLeft: spec.cost.cycles, sinceNs: now, startNs: now };
    }),
    retime: assign(({ context, event }) => {
      if (event.type !== "FREQUENCY") return {};
      const now = context.deps.nowNs();
      const done = cyclesRetired(context.cyclesLeft, context.cores, context.hz, now - context.sinceNs);
      return { hz: event.hz, cyclesLeft: context.cyclesLeft - done, sinceNs: now };
    }),
    complete: ({ context }) => context.deps.completed(context.cores, context.segments, context.deps.nowNs() - context.startNs),
    armRun: ({ context }) => context.deps.runFor(runTimeNs(context.cyclesLeft, context.cores, context.hz)),
    stopRun: ({ context }) => context.deps.stopRun(),
  },
}).createMachine({
  id: "job",
  context: ({ input }) => ({ spec: input.spec, deps: input.deps, hang: false, cores: 0, hz: 0, segments: [], cyclesLeft: input.spec.cost.cycles, sinceNs: 0, startNs: 0 }),
  initial: "translating",
  states: {
    translating: {
      on: {
        TRANSLATED: [
          { guard: "translationFailed", target: "faulted", actions: "mmuFault" },
          { guard: "noPoweredCore", target: "faulted", actions: "noCore" },
          { guard: "hangs", target: "hung", actions: "start" },
          { target: "running", actions: "start" },
        ],
        RESET: { target: "faulted", actions: "reset" },
        INJECT: [{ guard: "injectsHang", actions: "markHang" }, { target: "faulted", actions: "injected" }],
      },
    },
    running: {
      entry: "armRun",
      exit: "stopRun",
      on: {
        RUN_DONE: { target: "completed", actions: "complete" },
        FREQUENCY: { target: "running", reenter: true, actions: "retime" },
        POWER_LOST: { target: "faulted", actions: "powerLost" },
        RESET: { target: "faulted", actions: "reset" },
        INJECT: [{ guard: "injectsHang", target: "hung" }, { target: "faulted", actions: "injected" }],
      },
    },
    hung: {
      on: {
        POWER_LOST: { target: "faulted", actions: "powerLost" },
        RESET: { target: "faulted", actions: "reset" },
        INJECT: [{ guard: "injectsHang" }, { target: "faulted", actions: "injected" }],
      },
    },
    completed: { type: "final" },
    faulted: { type: "final" },
  },
});

