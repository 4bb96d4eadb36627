import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import { RunEnded } from "../../shared/events/systemEvents.ts";
import { loadGpuModel } from "../../shared/gpu/loadModel.ts";
import { LogDigest } from "../../shared/log/digest.ts";
import { JsonlLogReader } from "../../shared/log/jsonlLog.ts";
import type { LogHeader } from "../../shared/log/logFormat.ts";
import { attribute } from "./attribution.ts";
import { AUDIT_FORMAT_VERSION, runOf, type AuditFault, type AuditReport } from "./auditReport.ts";
import { Causality } from "./causality.ts";
import { refOf, type EventRef } from "./eventRef.ts";
import { FaultLedger } from "./faultLedger.ts";
import { FenceStates } from "./fenceStates.ts";
import { GpuStates } from "./gpuState.ts";
import { INVARIANTS, InvariantSuite, PENDING_INVARIANTS } from "./invariants/index.ts";
import { RecoveryLog } from "./recovery.ts";
import { SymptomDetector } from "./symptoms.ts";
import { TimelineBuilder } from "./timeline.ts";
import { summarise, WARNING_TYPES } from "./verdict.ts";

/** How many effects of each fault a report lists. */
const MAX_EFFECTS = 12;
/** Not listed as effects: the fault's own facts and register traffic (still followed for causality). */
const QUIET_EFFECTS = new Set(["FaultArmed", "FaultApplied", "FaultRejected", "MmioReadIssued", "MmioReadCompleted", "MmioWriteIssued"]);

/** An audit being built: events in, in log order; the report out. */
export interface Audit {
  push(e: Envelope, line?: string): void;
  /** The report; `digest` is the log's digest when the caller took it itself (`digestLines: false`). */
  finish(digest?: string): AuditReport;
}

/** Options of an audit. */
export interface AuditOptions {
  /** Bound of the causality tracker (events whose fault is remembered). */
  readonly taintLimit?: number;
  /**
   * Digest the events line by line as pushed (default). Off for a caller that digests the log
   * itself — a file read with `JsonlLogReader`'s `digest` — and hands the digest to `finish`.
   */
  readonly digestLines?: boolean;
}

/**
 * The audit of a log as a stream (DESIGN.md §7): every event goes once through the fault ledger,
 * the causality tracker, the GPU state fold, the symptom detector, the recovery log and the
 * invariant suite; `finish` attributes each failure and violation to the injected fault that most
 * likely caused it and returns the report. Memory is bounded by the state those keep, never by
 * the log's length (the causality tracker has an explicit bound).
 *
 * @example
 * const audit = createAudit(reader.header);
 * for (const e of reader) audit.push(e);
 * const report = audit.finish();
 */
export function createAudit(header: LogHeader | undefined, opts: AuditOptions = {}): Audit {
  const ledger = new FaultLedger();
  const causality = new Causality(opts.taintLimit);
  const states = new GpuStates();
  const symptoms = new SymptomDetector(states);
  const recovery = new RecoveryLog();
  const timeline = new TimelineBuilder();
  const fences = new FenceStates();
  const invariants = new InvariantSuite({ model: loadGpuModel(header?.model ?? "mali-g610-rk3588") });
  const digest = opts.digestLines === false ? undefined : new LogDigest();
  const byType = new Map<string, number>();
  const warnings = new Map<string, { count: number; first: EventRef }>();
  const effects = new Map<string, EventRef[]>();
  let events = 0;
  let endNs = 0;
  let ended: AuditReport["run"]["ended"] = null;

  return {
    push(e, line) {
      events++;
      endNs = Math.max(endNs, e.timeNs);
      digest?.addLine(line ?? JSON.stringify(e));
      byType.set(e.type, (byType.get(e.type) ?? 0) + 1);
      ledger.push(e);
      causality.push(e);
      const fault = FaultLedger.isFaultInput(e) ? undefined : causality.faultOf(e.id);
      if (fault !== undefined && !QUIET_EFFECTS.has(e.type)) {
        const list = effects.get(fault) ?? effects.set(fault, []).get(fault)!;
        if (list.length < MAX_EFFECTS) list.push(refOf(e));
      }
      states.push(e);
      const found = symptoms.symptoms;
      const before = found.length;
      symptoms.push(e);
      for (let i = before; i < found.length; i++) recovery.failed(found[i]!.gpu);
      recovery.push(e);
      invariants.push(e);
      timeline.push(e);
      fences.push(e);
      if (WARNING_TYPES.has(e.type)) {
        const w = warnings.get(e.type);
        if (w === undefined) warnings.set(e.type, { count: 1, first: refOf(e) });
        else w.count++;
      }
      if (EventRegistry.is(RunEnded, e)) ended = e.payload.reason;
    },
    finish(given) {
      const hex = given ?? digest?.hex();
      if (hex === undefined) throw new Error("audit: digestLines is off, so finish needs the log's digest");
      const end = { timeNs: endNs, ended: ended !== null };
      symptoms.finish(end);
      const violations = invariants.finish(end);
      const failures = symptoms.symptoms.map((s) => {
        const cause = attribute(s.event, s.gpu, s.kind, causality, ledger);
        return { kind: s.kind, gpu: s.gpu, event: s.event, sinceNs: s.event.timeNs, summary: s.summary, count: s.count, context: s.context, ...(cause ? { cause } : {}) };
      });
      const auditedViolations = violations.map((v) => {
        const at = v.events[v.events.length - 1];
        const cause = at === undefined ? undefined : attribute(at, v.gpu ?? 0, `invariant:${v.invariant}`, causality, ledger);
        return { ...v, ...(cause ? { cause } : {}) };
      });
      const faults: AuditFault[] = [...ledger.faults.values()].map((r) => ({
        ...r,
        outcome: r.applied.length > 0 ? "applied" : r.rejected !== undefined ? "rejected" : r.armed !== undefined ? "armed" : "not-taken",
        moreApplied: ledger.moreApplied.get(r.id) ?? 0,
        effects: effects.get(r.id) ?? [],
      }));
      const report: Omit<AuditReport, "verdict"> = {
        format: "tyrsim-audit",
        version: AUDIT_FORMAT_VERSION,
        run: { ...runOf(header), events, endNs, ended, digest: hex, eventsByType: Object.fromEntries([...byType].sort(([a], [b]) => (a < b ? -1 : 1))) },
        faults,
        refusedFaults: ledger.refused,
        failures,
        moreFailures: symptoms.overflow,
        pendingJobs: fences.pending(),
        recovery: recovery.steps,
        invariants: {
          checked: INVARIANTS.map((d) => ({ name: d.name, statement: d.statement, violations: violations.filter((v) => v.invariant === d.name).length })),
          violations: auditedViolations,
          pending: PENDING_INVARIANTS,
        },
        warnings: [...warnings].map(([type, w]) => ({ type, ...w })),
        causalityTruncated: causality.truncated,
        timeline: timeline.finish(),
      };
      return { ...report, verdict: summarise(report) };
    },
  };
}

/** `tyrsim audit <log>`: audit a JSON-lines log, streaming it (one event in memory at a time). */
export function auditLogFile(path: string): AuditReport {
  const reader = new JsonlLogReader(path, true, { digest: true });
  try {
    const audit = createAudit(reader.header, { digestLines: false });
    for (let l = reader.nextLogged(); l !== undefined; l = reader.nextLogged()) audit.push(l.event, l.line);
    // The reader digested the file's bytes as it read them; a file with blank lines is digested line by line.
    return audit.finish(reader.digestOfRead());
  } finally {
    void reader.close();
  }
}
