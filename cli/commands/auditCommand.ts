import { auditLogFile } from "../../runtime/audit/audit.ts";
import { formatAudit } from "../../runtime/audit/formatAudit.ts";

/** Options of `tyrsim audit`. */
export interface AuditCommandOptions {
  readonly json?: boolean;
}

/**
 * `tyrsim audit <log> [--json]`: stream a log through the audit and print the report — the run,
 * the faults injected and what they did, what stopped or failed with the fault that most likely
 * caused it, recovery steps, invariants. Exit code 1 when an invariant broke, else 0.
 */
export function auditCommand(log: string, opts: AuditCommandOptions): Promise<number> {
  const report = auditLogFile(log);
  process.stdout.write(opts.json === true ? JSON.stringify(report, null, 2) + "\n" : formatAudit(report));
  return Promise.resolve(report.invariants.violations.length > 0 ? 1 : 0);
}
