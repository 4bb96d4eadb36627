import type { AuditReport } from "./auditReport.ts";

/** Event types that are warnings: refused requests and ignored writes, mistakes that stopped nothing. */
export const WARNING_TYPES: ReadonlySet<string> = new Set([
  "PowerRequestRejected", "FrequencyChangeRejected", "PowerSupplyRequestRejected", "RegisterWriteIgnored", "AsCommandRejected", "FaultRejected", "MemoryWriteFailed",
]);

const RANK = { causal: 0, correlated: 1, temporal: 2 } as const;

/**
 * The verdict of an audit: clean when nothing failed and no invariant broke; otherwise the
 * injected fault behind the earliest failure (a causal attribution before a correlated one before
 * a temporal one), or behind the first violation when nothing failed.
 */
export function summarise(r: Omit<AuditReport, "verdict">): AuditReport["verdict"] {
  const clean = r.failures.length === 0 && r.invariants.violations.length === 0;
  const candidates = [
    ...r.failures.map((f) => ({ cause: f.cause, symptom: f.event, summary: f.summary })),
    ...r.invariants.violations.map((v) => ({ cause: v.cause, symptom: v.events[v.events.length - 1]!, summary: `${v.invariant}: ${v.message}` })),
  ].filter((c) => c.cause !== undefined && c.symptom !== undefined);
  candidates.sort((a, b) => RANK[a.cause!.confidence] - RANK[b.cause!.confidence] || a.symptom.seq - b.symptom.seq);
  const best = candidates[0];
  const failed = `${r.failures.length} failure${r.failures.length === 1 ? "" : "s"}, ${r.invariants.violations.length} broken invariant${r.invariants.violations.length === 1 ? "" : "s"}`;
  const summary = clean
    ? `clean: no failure, no broken invariant (${r.faults.length} fault${r.faults.length === 1 ? "" : "s"} injected)`
    : best === undefined
      ? `${failed}; no injected fault explains them`
      : `${failed}; most likely cause: ${best.cause!.kind} fault ${best.cause!.fault}${best.cause!.label !== undefined ? ` (“${best.cause!.label}”)` : ""}`;
  return {
    clean,
    summary,
    ...(best !== undefined ? { likelyCause: { ...best.cause!, symptom: best.symptom, symptomSummary: best.summary } } : {}),
  };
}
