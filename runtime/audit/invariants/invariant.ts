import type { Envelope } from "../../../shared/events/envelope.ts";
import type { EventDef } from "../../../shared/events/registry.ts";
import type { GpuModel } from "../../../shared/gpu/model.ts";
import type { EventRef } from "../eventRef.ts";

/** A broken invariant: which, where, and the events of the log that prove it (earliest first). */
export interface Violation {
  /** The invariant's name, e.g. `jobs-on-powered-cores`. */
  readonly invariant: string;
  readonly message: string;
  /** Virtual time at which the violation became certain. */
  readonly timeNs: number;
  readonly gpu?: number;
  readonly events: readonly EventRef[];
}

/** What every checker may know besides the events: the GPU model of the log's header. */
export interface CheckContext {
  readonly model: GpuModel;
}

/** How the log ended: the last event's time, and whether the run closed with `RunEnded`. */
export interface LogEnd {
  readonly timeNs: number;
  readonly ended: boolean;
}

/** A running check: fed every event in log order, then told the log ended. */
export interface InvariantChecker {
  push(e: Envelope): void;
  finish(end: LogEnd): void;
}

/**
 * An invariant of the simulated system, checked over a log as a stream: a pure consumer of
 * envelopes that keeps only the state it needs (per GPU, per AS, per job) and reports each
 * violation through `report` as soon as it is certain. Adding an invariant is adding a file with
 * one of these and listing it in `invariants/index.ts`.
 */
export interface InvariantDef {
  readonly name: string;
  /** The invariant in one sentence, as the report states it. */
  readonly statement: string;
  /**
   * The events its checker looks at, when it ignores every other one: the suite hands it only
   * these (a dozen checkers each testing the type of every event of a long log cost more than
   * reading the log). Left out by a checker that needs every event (a clock that runs on any
   * event's time, a report flushed at the next instant).
   */
  readonly reads?: readonly EventDef[];
  create(report: (v: Omit<Violation, "invariant">) => void, ctx: CheckContext): InvariantChecker;
}

/**
 * An invariant that cannot be checked from today's events: what it needs the log to carry. The
 * report lists these, so a reader knows what the audit did not look at.
 */
export interface PendingInvariant {
  readonly name: string;
  readonly statement: string;
  readonly needs: string;
}
