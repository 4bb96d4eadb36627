import type { LogHeader } from "../../shared/log/logFormat.ts";
import type { Attribution } from "./attribution.ts";
import type { EventRef } from "./eventRef.ts";
import type { FaultRecord, RefusedFault } from "./faultLedger.ts";
import type { PendingJob } from "./fenceStates.ts";
import type { GpuContext } from "./gpuState.ts";
import type { PendingInvariant, Violation } from "./invariants/index.ts";
import type { RecoveryStep } from "./recovery.ts";
import type { FailureKind } from "./symptoms.ts";
import type { AuditTimeline } from "./timeline.ts";

/** Version of the report's JSON shape; bumped when a field changes meaning. */
export const AUDIT_FORMAT_VERSION = 1;

/** The run the log records. */
export interface AuditRun {
  readonly run: string;
  readonly seed: number;
  readonly model: string;
  readonly scenario: string;
  readonly tool: string;
  readonly events: number;
  readonly endNs: number;
  /** `RunEnded.reason`, or null when the log stops without one (a crashed or cut log). */
  readonly ended: "duration" | "idle" | "until" | null;
  readonly digest: string;
  readonly eventsByType: Readonly<Record<string, number>>;
}

/** A failure with the fault that most likely caused it. */
export interface AuditFailure {
  readonly kind: FailureKind;
  readonly gpu: number;
  /** The event that shows it; `since` is its time. */
  readonly event: EventRef;
  readonly sinceNs: number;
  readonly summary: string;
  readonly count: number;
  /** The GPU's state right after it (power, OPP, MCU, CSG slots, faulted ASes, IRQ lines, driver). */
  readonly context: GpuContext;
  readonly cause?: Attribution;
}

/** A broken invariant with the fault that most likely caused it. */
export interface AuditViolation extends Violation {
  readonly cause?: Attribution;
}

/** What happened to an injected fault, with the first of its effects. */
export interface AuditFault extends FaultRecord {
  /** `applied` (acted at least once), `armed` (waiting when the log ended), `rejected`, or `not-taken` (no actor took it: no such GPU?). */
  readonly outcome: "applied" | "armed" | "rejected" | "not-taken";
  /** More `FaultApplied` occurrences than `applied` lists. */
  readonly moreApplied: number;
  /** The first events it caused, in log order (bounded; its own facts and register accesses left out). */
  readonly effects: readonly EventRef[];
}

/**
 * The audit of one log, the model behind the terminal report and `--json`. Sections are
 * independent lists so later work adds to them without reshaping them: hangs with their
 * dependency chains and fence states (the driver's submission side), a timeline for the HTML page.
 */
export interface AuditReport {
  readonly format: "tyrsim-audit";
  readonly version: typeof AUDIT_FORMAT_VERSION;
  readonly run: AuditRun;
  readonly faults: readonly AuditFault[];
  /** Fault inputs refused at the runtime's boundary (`MessageRejected` on `fault.inject`). */
  readonly refusedFaults: readonly RefusedFault[];
  readonly failures: readonly AuditFailure[];
  /** Failures beyond the listed ones, counted only. */
  readonly moreFailures: number;
  /** Jobs whose fence had not signalled when the log ended: their dependencies' fence states and the chain to what blocks them. */
  readonly pendingJobs: { readonly jobs: readonly PendingJob[]; readonly more: number };
  readonly recovery: readonly RecoveryStep[];
  readonly invariants: {
    readonly checked: readonly { readonly name: string; readonly statement: string; readonly violations: number }[];
    readonly violations: readonly AuditViolation[];
    readonly pending: readonly PendingInvariant[];
  };
  /** Refused requests and ignored writes: protocol mistakes that stopped nothing. */
  readonly warnings: readonly { readonly type: string; readonly count: number; readonly first: EventRef }[];
  readonly verdict: {
    /** No failure and no broken invariant. */
    readonly clean: boolean;
    readonly summary: string;
    /** The injected fault behind the first failure (or violation), when one is found. */
    readonly likelyCause?: Attribution & { readonly symptom: EventRef; readonly symptomSummary: string };
  };
  /** Causal tracking stopped spreading at its memory bound; late chains may be missing. */
  readonly causalityTruncated: boolean;
  /** What each GPU block did over virtual time (power, MCU, CSG slots, queues, cores, resets), for the HTML page. */
  readonly timeline: AuditTimeline;
}

/** The header fields of a report, from a log header (or placeholders for a headerless stream). */
export function runOf(header: LogHeader | undefined): Pick<AuditRun, "run" | "seed" | "model" | "scenario" | "tool"> {
  return {
    run: header?.run ?? "?",
    seed: header?.seed ?? 0,
    model: header?.model ?? "mali-g610-rk3588",
    scenario: header?.scenario.file ?? "?",
    tool: header?.tool ?? "?",
  };
}
