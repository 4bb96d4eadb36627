import { formatNs } from "../../shared/scenario/duration.ts";
import type { Attribution } from "./attribution.ts";
import type { AuditFailure, AuditFault, AuditReport } from "./auditReport.ts";
import { formatRef, type EventRef } from "./eventRef.ts";
import type { FenceState, PendingJob } from "./fenceStates.ts";
import type { GpuContext } from "./gpuState.ts";

const at = (r: EventRef) => `#${r.seq} @${formatNs(r.timeNs)}`;

/** `#200 FaultInjected → #211 FaultApplied → … (3 more) → #213 AsFaultRaised`. */
export function formatChain(chain: readonly EventRef[], elided: number): string {
  const parts = chain.map((r) => `#${r.seq} ${r.type}`);
  if (elided > 0) parts.splice(4, 0, `… ${elided} more …`);
  return parts.join(" → ");
}

/** `scenario:8 job-hang “label” (causal): #227 FaultInjected → … → #243 JobStarted`. */
export function formatCause(c: Attribution): string {
  return `${c.fault} ${c.kind}${c.label !== undefined ? ` “${c.label}”` : ""} (${c.confidence}): ${formatChain(c.chain, c.elided)}`;
}

/** A GPU's state as one line: `power l2=0x1 … · MCU ENABLED · … · driver registered`. */
export function formatContext(c: GpuContext): string {
  const power = Object.entries(c.power).map(([d, m]) => `${d}=${m}`).join(" ") || "all off";
  const supplies = Object.entries(c.supplies).map(([n, s]) => `${n} ${s}`).join(", ");
  return [
    `power ${power}`,
    c.oppMHz === null ? undefined : `OPP ${c.oppMHz} MHz`,
    supplies === "" ? undefined : `supplies ${supplies}`,
    `MCU ${c.mcu}`,
    `firmware ${c.firmware}`,
    Object.keys(c.csg).length === 0 ? undefined : `CSG ${Object.entries(c.csg).map(([s, v]) => `${s}:${v}`).join(" ")}`,
    c.faultedAs.length === 0 ? undefined : `faulted AS ${c.faultedAs.join(",")}`,
    c.irqAsserted.length === 0 ? undefined : `IRQ ${c.irqAsserted.join(",")} asserted`,
    `${c.jobsRunning} job${c.jobsRunning === 1 ? "" : "s"} running`,
    `driver ${c.driver}`,
  ].filter((s) => s !== undefined).join(" · ");
}

function formatFault(f: AuditFault): string[] {
  const lines = [`  ${f.id}  ${at(f.input)}  ${f.kind} on gpu${f.gpu}${f.label !== undefined ? ` “${f.label}”` : ""}  [${f.outcome}]  from ${f.source}`];
  if (f.trigger !== undefined) lines.push(`      trigger: ${f.trigger}`);
  if (f.armed !== undefined) lines.push(`      armed by ${f.armed.actor} (${at(f.armed.ref)}): waits for ${f.armed.waitsFor}`);
  for (const a of f.applied) lines.push(`      applied by ${a.actor} (${at(a.ref)}): ${a.detail}`);
  if (f.moreApplied > 0) lines.push(`      … and applied ${f.moreApplied} more times`);
  if (f.rejected !== undefined) lines.push(`      rejected (${at(f.rejected.ref)}): ${f.rejected.reason}`);
  if (f.outcome === "not-taken") lines.push("      no actor took it (is there a GPU with that index?)");
  if (f.effects.length > 0) lines.push(`      effects: ${f.effects.map((r) => `#${r.seq} ${r.type}`).join(", ")}${f.effects.length >= 12 ? ", …" : ""}`);
  return lines;
}

function formatFailure(f: AuditFailure): string[] {
  return [
    `  [${f.kind}] gpu${f.gpu} since ${formatNs(f.sinceNs)}: ${f.summary}${f.count > 1 ? ` (×${f.count})` : ""}`,
    `      shown by ${formatRef(f.event)}`,
    `      state: ${formatContext(f.context)}`,
    `      cause: ${f.cause === undefined ? "no injected fault acted before it" : formatCause(f.cause)}`,
  ];
}

const STATUS: Readonly<Record<FenceState["status"], string>> = {
  waiting: "waiting for its dependencies", "on-ring": "on the ring", signalled: "signalled", "signalled-error": "signalled with error",
};

/** `fence 3 (job g1.q0.j2, queue 1/1/0): on the ring; group active on CSG 0`. */
export function formatFence(f: FenceState): string {
  return `fence ${f.fence} (job ${f.job}, queue ${f.file}/${f.group}/${f.queue}): ${STATUS[f.status]}${f.error !== undefined ? ` ${f.error}` : ""}; group ${f.groupState}`;
}

/** A pending job: what it is, since when, what it waits for, and the chain down to what blocks it. */
export function formatPendingJob(j: PendingJob): string[] {
  const lines = [`  gpu${j.gpu} ${formatFence(j.fence)} — submitted ${at(j.submitted)}, last change ${at(j.fence.at)}`];
  if (j.deps.length > 0) lines.push(`      waits for: ${j.deps.map((d) => `fence ${d.fence} ${STATUS[d.status]}${d.error !== undefined ? ` ${d.error}` : ""}`).join(", ")}`);
  if (j.chain.length > 1) lines.push(`      chain: ${j.chain.map((f) => `fence ${f.fence} (${f.job}, ${STATUS[f.status]})`).join(" ← ")}`);
  return lines;
}

/** The audit as a readable terminal report (what `tyrsim audit` prints without `--json`). */
export function formatAudit(r: AuditReport): string {
  const out: string[] = [];
  const section = (title: string, n: number) => out.push("", `${title} (${n})`);
  out.push(`tyrsim audit — run ${r.run.run} (scenario ${r.run.scenario}, seed ${r.run.seed}, model ${r.run.model})`);
  out.push(`  ${r.run.events} events over ${formatNs(r.run.endNs)} virtual, ${r.run.ended === null ? "log ends without RunEnded" : `ended: ${r.run.ended}`}, digest ${r.run.digest.slice(0, 16)}…`);
  out.push(`verdict: ${r.verdict.summary}`);
  if (r.verdict.likelyCause !== undefined) {
    const c = r.verdict.likelyCause;
    out.push(`  symptom: ${c.symptomSummary}`, `  chain:   ${formatChain(c.chain, c.elided)}`);
  }
  section("Faults injected", r.faults.length);
  for (const f of r.faults) out.push(...formatFault(f));
  for (const f of r.refusedFaults) out.push(`  refused at ${at(f.ref)}: ${f.field}: ${f.reason}  (${f.excerpt})`);
  section("What stopped or failed", r.failures.length + r.moreFailures);
  for (const f of r.failures) out.push(...formatFailure(f));
  if (r.moreFailures > 0) out.push(`  … ${r.moreFailures} more`);
  if (r.pendingJobs.jobs.length > 0) {
    section("Jobs still pending at the end of the log", r.pendingJobs.jobs.length + r.pendingJobs.more);
    for (const j of r.pendingJobs.jobs) out.push(...formatPendingJob(j));
    if (r.pendingJobs.more > 0) out.push(`  … ${r.pendingJobs.more} more`);
  }
  section("Recovery steps", r.recovery.length);
  for (const s of r.recovery) out.push(`  ${formatNs(s.event.timeNs).padStart(12)}  gpu${s.gpu}  ${s.summary}  (#${s.event.seq})`);
  const broken = r.invariants.violations.length;
  out.push("", `Invariants: ${r.invariants.checked.length} checked, ${broken} violation${broken === 1 ? "" : "s"}`);
  for (const c of r.invariants.checked) out.push(`  ${c.violations === 0 ? "ok  " : "FAIL"} ${c.name}: ${c.statement}${c.violations > 0 ? ` (${c.violations})` : ""}`);
  for (const v of r.invariants.violations) {
    out.push(`  ✗ ${v.invariant}${v.gpu !== undefined ? ` gpu${v.gpu}` : ""} @${formatNs(v.timeNs)}: ${v.message}`);
    out.push(`      proof: ${v.events.map(formatRef).join(", ")}`);
    if (v.cause !== undefined) out.push(`      cause: ${formatCause(v.cause)}`);
  }
  for (const p of r.invariants.pending) out.push(`  pending ${p.name}: ${p.statement} — needs ${p.needs}`);
  if (r.warnings.length > 0) {
    section("Warnings", r.warnings.reduce((n, w) => n + w.count, 0));
    for (const w of r.warnings) out.push(`  ${w.type} ×${w.count} (first ${at(w.first)})`);
  }
  if (r.causalityTruncated) out.push("", "note: causal tracking reached its memory bound; later chains may be missing");
  return out.join("\n") + "\n";
}
