import type { Envelope } from "../shared/events/envelope.ts";
import { EventRegistry } from "../shared/events/registry.ts";
import type { RunOutcome } from "../shared/runtime/simulation.ts";
import type { Scenario } from "../shared/scenario/scenarioSchema.ts";
import { EnergyReported } from "../services/power/energyEvents.ts";

/** The machine-readable outcome of a run (`summary.json`): deterministic, no wall-clock figures. */
export interface RunSummary {
  readonly run: string;
  readonly scenario: string;
  readonly seed: number;
  readonly model: string;
  readonly runtime: "embedded" | "multi-process";
  readonly reason: RunOutcome["reason"];
  readonly virtualTimeNs: number;
  readonly events: number;
  readonly digest: string;
  readonly log: string;
  readonly eventsByType: Readonly<Record<string, number>>;
  /** Energy of every GPU, as their power controllers last reported it (at the end of the run). */
  readonly energyJoules: number;
  readonly rejected: number;
  readonly actorFailures: number;
  /** Actor states at the end (embedded runs; a multi-process run's actors live in their services). */
  readonly actors: Readonly<Record<string, unknown>>;
}

/** Counts what a run delivered, for its summary; fed every event in log order by either runtime. */
export class RunStats {
  private readonly counts = new Map<string, number>();
  private readonly energy = new Map<string, number>();

  /** Note one delivered event. */
  add(e: Envelope): void {
    this.counts.set(e.type, (this.counts.get(e.type) ?? 0) + 1);
    if (EventRegistry.is(EnergyReported, e)) this.energy.set(e.source, e.payload.totalJoules);
  }

  /** The summary of a finished run. */
  summary(fields: { run: string; scenario: Scenario; seed: number; runtime: RunSummary["runtime"]; outcome: RunOutcome; digest: string; log: string; actors?: Record<string, unknown> }): RunSummary {
    const eventsByType = Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
    return {
      run: fields.run,
      scenario: fields.scenario.name,
      seed: fields.seed,
      model: fields.scenario.model,
      runtime: fields.runtime,
      reason: fields.outcome.reason,
      virtualTimeNs: fields.outcome.endTimeNs,
      events: fields.outcome.events,
      digest: fields.digest,
      log: fields.log,
      eventsByType,
      energyJoules: [...this.energy.values()].reduce((a, b) => a + b, 0),
      rejected: this.counts.get("MessageRejected") ?? 0,
      actorFailures: this.counts.get("ActorHandlerFailed") ?? 0,
      actors: fields.actors ?? {},
    };
  }
}
