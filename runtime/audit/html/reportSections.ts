import { formatNs } from "../../../shared/scenario/duration.ts";
import type { AuditFailure, AuditFault, AuditReport } from "../auditReport.ts";
import { formatRef, type EventRef } from "../eventRef.ts";
import { formatCause, formatChain, formatContext, formatPendingJob } from "../formatAudit.ts";
import { esc } from "./escape.ts";

/** `<code>#12 @1.300 ms</code>`: where an event is, as the text report says it. */
const at = (r: EventRef) => `<code>#${r.seq}</code> @${esc(formatNs(r.timeNs))}`;
const section = (id: string, title: string, n: number, body: string) =>
  `<section id="${id}"><h2>${esc(title)} <span class="count">(${n})</span></h2>${body}</section>`;
const list = (items: readonly string[], empty: string) => (items.length === 0 ? `<p class="none">${esc(empty)}</p>` : `<ul>${items.map((i) => `<li>${i}</li>`).join("")}</ul>`);

/** The run and the verdict, with the most likely cause and its chain. */
export function headerHtml(r: AuditReport): string {
  const run = r.run;
  const c = r.verdict.likelyCause;
  return [
    `<header><h1>tyrsim audit — run ${esc(run.run)}</h1>`,
    `<p class="run">scenario <code>${esc(run.scenario)}</code>, seed ${esc(run.seed)}, model <code>${esc(run.model)}</code>, tool ${esc(run.tool)} · ${esc(run.events)} events over ${esc(formatNs(run.endNs))} virtual, ${run.ended === null ? "log ends without RunEnded" : `ended: ${esc(run.ended)}`} · digest <code>${esc(run.digest.slice(0, 16))}…</code></p>`,
    `<p class="verdict ${r.verdict.clean ? "clean" : "failed"}" id="verdict">${esc(r.verdict.summary)}</p>`,
    c === undefined ? "" : `<div class="likely-cause" id="likely-cause"><p>symptom: ${esc(c.symptomSummary)} (${esc(formatRef(c.symptom))})</p><p>cause: <strong>${esc(c.kind)}</strong> fault <code>${esc(c.fault)}</code>${c.label !== undefined ? ` “${esc(c.label)}”` : ""}, ${esc(c.confidence)}</p><p class="chain-text">${esc(formatChain(c.chain, c.elided))}</p></div>`,
    `</header>`,
  ].join("\n");
}

function faultHtml(f: AuditFault): string {
  const lines = [`<code>${esc(f.id)}</code> ${at(f.input)} <strong>${esc(f.kind)}</strong> on gpu${esc(f.gpu)}${f.label !== undefined ? ` “${esc(f.label)}”` : ""} <span class="outcome ${esc(f.outcome)}">[${esc(f.outcome)}]</span> from ${esc(f.source)}`];
  if (f.trigger !== undefined) lines.push(`trigger: ${esc(f.trigger)}`);
  if (f.armed !== undefined) lines.push(`armed by ${esc(f.armed.actor)} (${at(f.armed.ref)}): waits for ${esc(f.armed.waitsFor)}`);
  for (const a of f.applied) lines.push(`applied by ${esc(a.actor)} (${at(a.ref)}): ${esc(a.detail)}`);
  if (f.moreApplied > 0) lines.push(`… and applied ${esc(f.moreApplied)} more times`);
  if (f.rejected !== undefined) lines.push(`rejected (${at(f.rejected.ref)}): ${esc(f.rejected.reason)}`);
  if (f.outcome === "not-taken") lines.push("no actor took it (is there a GPU with that index?)");
  if (f.effects.length > 0) lines.push(`effects: ${esc(f.effects.map((x) => `#${x.seq} ${x.type}`).join(", "))}${f.effects.length >= 12 ? ", …" : ""}`);
  return lines.join("<br>");
}

function failureHtml(f: AuditFailure): string {
  return [
    `<span class="kind">[${esc(f.kind)}]</span> gpu${esc(f.gpu)} since ${esc(formatNs(f.sinceNs))}: ${esc(f.summary)}${f.count > 1 ? ` (×${esc(f.count)})` : ""}`,
    `shown by <code>${esc(formatRef(f.event))}</code>`,
    `state: ${esc(formatContext(f.context))}`,
    `cause: ${f.cause === undefined ? "no injected fault acted before it" : esc(formatCause(f.cause))}`,
  ].join("<br>");
}

/**
 * Every section of the text report (`formatAudit`), as HTML, in the same order and words: faults
 * injected, what stopped or failed with the GPU's state and the likely cause, jobs still pending
 * with their dependencies' fence states, recovery steps,
 * invariants (checked, broken with their proof, pending), warnings.
 */
export function sectionsHtml(r: AuditReport): string {
  const out: string[] = [];
  out.push(section("faults", "Faults injected", r.faults.length, list([
    ...r.faults.map(faultHtml),
    ...r.refusedFaults.map((f) => `refused at ${at(f.ref)}: ${esc(f.field)}: ${esc(f.reason)} (<code>${esc(f.excerpt)}</code>)`),
  ], "none")));
  out.push(section("failures", "What stopped or failed", r.failures.length + r.moreFailures, list([
    ...r.failures.map(failureHtml),
    ...(r.moreFailures > 0 ? [`… ${esc(r.moreFailures)} more`] : []),
  ], "nothing stopped or failed")));
  if (r.pendingJobs.jobs.length > 0) {
    out.push(section("pending-jobs", "Jobs still pending at the end of the log", r.pendingJobs.jobs.length + r.pendingJobs.more, list([
      ...r.pendingJobs.jobs.map((j) => formatPendingJob(j).map((l) => esc(l.trim())).join("<br>")),
      ...(r.pendingJobs.more > 0 ? [`… ${esc(r.pendingJobs.more)} more`] : []),
    ], "none")));
  }
  out.push(section("recovery", "Recovery steps", r.recovery.length, list(r.recovery.map((s) => `${esc(formatNs(s.event.timeNs))} gpu${esc(s.gpu)} ${esc(s.summary)} (<code>#${s.event.seq}</code>)`), "none")));
  const broken = r.invariants.violations.length;
  out.push(section("invariants", `Invariants: ${r.invariants.checked.length} checked, ${broken} violation${broken === 1 ? "" : "s"}`, broken, [
    `<table class="invariants"><tbody>`,
    ...r.invariants.checked.map((c) => `<tr class="${c.violations === 0 ? "ok" : "fail"}"><td>${c.violations === 0 ? "ok" : "FAIL"}</td><td><code>${esc(c.name)}</code></td><td>${esc(c.statement)}${c.violations > 0 ? ` (${esc(c.violations)})` : ""}</td></tr>`),
    ...r.invariants.pending.map((p) => `<tr class="pending"><td>pending</td><td><code>${esc(p.name)}</code></td><td>${esc(p.statement)} — needs ${esc(p.needs)}</td></tr>`),
    `</tbody></table>`,
    list(r.invariants.violations.map((v) => [
      `<span class="kind">✗ ${esc(v.invariant)}</span>${v.gpu !== undefined ? ` gpu${esc(v.gpu)}` : ""} @${esc(formatNs(v.timeNs))}: ${esc(v.message)}`,
      `proof: ${esc(v.events.map(formatRef).join(", "))}`,
      ...(v.cause !== undefined ? [`cause: ${esc(formatCause(v.cause))}`] : []),
    ].join("<br>")), "no invariant broke"),
  ].join("")));
  if (r.warnings.length > 0) {
    out.push(section("warnings", "Warnings", r.warnings.reduce((n, w) => n + w.count, 0), list(r.warnings.map((w) => `${esc(w.type)} ×${esc(w.count)} (first ${at(w.first)})`), "none")));
  }
  if (r.causalityTruncated) out.push(`<p class="note">note: causal tracking reached its memory bound; later chains may be missing</p>`);
  return out.join("\n");
}
