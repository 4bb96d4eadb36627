import { writeFileSync } from "node:fs";
import { auditLogFile } from "../../runtime/audit/audit.ts";
import { formatAudit } from "../../runtime/audit/formatAudit.ts";
import { renderAuditHtml } from "../../runtime/audit/html/renderAuditHtml.ts";

/** Options of `tyrsim audit`. */
export interface AuditCommandOptions {
  readonly json?: boolean;
  /** Also write the report as a self-contained HTML page here. */
  readonly html?: string;
}

/**
 * `tyrsim audit <log> [--json] [--html FILE]`: stream a log through the audit and print the
 * report — the run, the faults injected and what they did, what stopped or failed with the fault
 * that most likely caused it, recovery steps, invariants; with `--html`, the same report as one
 * HTML page with a timeline picture (the file's path goes to stderr, so `--json` output stays
 * clean). Exit code 1 when an invariant broke, else 0.
 */
export function auditCommand(log: string, opts: AuditCommandOptions): Promise<number> {
  const report = auditLogFile(log);
  process.stdout.write(opts.json === true ? JSON.stringify(report, null, 2) + "\n" : formatAudit(report));
  if (opts.html !== undefined) {
    writeFileSync(opts.html, renderAuditHtml(report));
    process.stderr.write(`audit page: ${opts.html}\n`);
  }
  return Promise.resolve(report.invariants.violations.length > 0 ? 1 : 0);
}
