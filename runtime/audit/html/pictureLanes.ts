import type { AuditReport } from "../auditReport.ts";
import type { EventRef } from "../eventRef.ts";

/** A mark as the picture draws it: a span (`endNs` set; null = open to the end of the log) or an instant. */
export interface PictureMark {
  /** CSS class: a timeline kind (`job-hung`, `power-on`, …) or `fault-injected`, `fault-applied`, `failure`, `recovery`, `violation`, `chain`, `elided` (marks left out). */
  readonly kind: string;
  readonly label: string;
  readonly startNs: number;
  readonly endNs: number | null;
  readonly point: boolean;
  /** The log position of the event it starts at (for the reader to find it with `tyrsim tail`). */
  readonly seq: number;
  /** On the chain from the most likely injected cause to its symptom. */
  readonly chain: boolean;
}

/** A lane of the picture. */
export interface PictureLane {
  readonly id: string;
  readonly label: string;
  readonly marks: readonly PictureMark[];
  readonly dropped: number;
}

const point = (kind: string, label: string, r: EventRef, chain: ReadonlySet<string>, onChain = chain.has(r.id)): PictureMark => ({
  kind, label, startNs: r.timeNs, endNs: r.timeNs, point: true, seq: r.seq, chain: onChain,
});

/** The ids of the events on the verdict's chain from the likely cause to its symptom. */
export function chainIds(r: AuditReport): ReadonlySet<string> {
  const c = r.verdict.likelyCause;
  return new Set(c === undefined ? [] : [...c.chain.map((x) => x.id), c.symptom.id]);
}

/**
 * The lanes of the timeline picture, all from the report: on top the chain from the most likely
 * injected cause to its symptom; then per GPU its injected faults, what stopped or failed, the
 * recovery steps and the broken invariants (from the report's lists), then its block lanes
 * (`report.timeline`: power, MCU, resets, CSG slots, driver queues, shader cores). Marks of events
 * on the chain are flagged so the picture can highlight them. Empty lanes are left out.
 */
export function pictureLanes(r: AuditReport): PictureLane[] {
  const chain = chainIds(r);
  const lanes: PictureLane[] = [];
  const c = r.verdict.likelyCause;
  if (c !== undefined) {
    const steps = [...c.chain, ...(c.chain.some((x) => x.id === c.symptom.id) ? [] : [c.symptom])];
    lanes.push({ id: "chain", label: "likely cause → symptom", dropped: c.elided, marks: steps.map((x) => point("chain", `#${x.seq} ${x.type} (${x.id})`, x, chain, true)) });
  }
  const gpus = [...new Set([...r.faults.map((f) => f.gpu), ...r.failures.map((f) => f.gpu), ...r.recovery.map((s) => s.gpu), ...r.invariants.violations.map((v) => v.gpu ?? 0), ...r.timeline.lanes.map((l) => l.gpu)])].sort((a, b) => a - b);
  for (const g of gpus) {
    const add = (id: string, label: string, marks: PictureMark[]) => {
      if (marks.length > 0) lanes.push({ id: `gpu${g}.${id}`, label: `gpu${g} ${label}`, marks, dropped: 0 });
    };
    add("faults", "injected faults", r.faults.filter((f) => f.gpu === g).flatMap((f) => [
      point("fault-injected", `${f.id} ${f.kind}${f.label !== undefined ? ` “${f.label}”` : ""} injected${f.trigger !== undefined ? ` (trigger: ${f.trigger})` : ""}`, f.input, chain),
      ...f.applied.map((a) => point("fault-applied", `${f.id} ${f.kind} applied by ${a.actor}: ${a.detail}`, a.ref, chain)),
    ]));
    add("failures", "what stopped", r.failures.filter((f) => f.gpu === g).map((f) => point("failure", `[${f.kind}] ${f.summary}`, f.event, chain)));
    add("recovery", "recovery", r.recovery.filter((s) => s.gpu === g).map((s) => point("recovery", s.summary, s.event, chain)));
    add("invariants", "broken invariants", r.invariants.violations.filter((v) => (v.gpu ?? 0) === g).map((v) => {
      const last = v.events[v.events.length - 1];
      return { kind: "violation", label: `${v.invariant}: ${v.message}`, startNs: v.timeNs, endNs: v.timeNs, point: true, seq: last?.seq ?? 0, chain: last !== undefined && chain.has(last.id) };
    }));
    for (const l of r.timeline.lanes.filter((x) => x.gpu === g)) {
      const gap: PictureMark[] = l.gap === undefined ? [] : [{ kind: "elided", label: `${l.dropped} marks left out`, startNs: l.gap.fromNs, endNs: l.gap.toNs, point: false, seq: 0, chain: false }];
      lanes.push({
        id: l.id, label: `gpu${g} ${l.label}`, dropped: l.dropped,
        marks: [...gap, ...l.marks.map((m) => ({
          kind: m.kind, label: m.label, startNs: m.startNs, endNs: m.endNs, point: m.endNs === m.startNs && m.end === undefined, seq: m.start.seq,
          chain: chain.has(m.start.id) || (m.end !== undefined && chain.has(m.end.id)),
        }))],
      });
    }
  }
  return lanes;
}
