/**
 * Subject naming with NATS semantics, shared by the in-memory bus and the NATS transport so that
 * `*` and `>` mean the same everywhere.
 *
 * Layout: `tyrsim.<run>.<path>` where `<path>` names the component, e.g. `gpu0.mmu.fault`,
 * `gpu0.fw.csg.3.state`, `drv.jobqueue.job.done`, `fault.inject`, `sys.error`.
 */

/** Root token of every tyrsim subject. */
export const SUBJECT_ROOT = "tyrsim";

const ROOT_PREFIX = `${SUBJECT_ROOT}.`;

const TOKEN = /^[^\s.*>]+$/;

/** Full subject for a path inside a run: `subjectOf("r1", "gpu0.mmu.fault")` → `tyrsim.r1.gpu0.mmu.fault`. */
export function subjectOf(run: string, path: string): string {
  return `${SUBJECT_ROOT}.${run}.${path}`;
}

/** The path of a full subject within its run, or undefined when the subject is not a tyrsim one. */
export function pathOf(subject: string): string | undefined {
  // Called for every delivered event by some actors: index arithmetic, no split/join.
  if (!subject.startsWith(ROOT_PREFIX)) return undefined;
  const afterRun = subject.indexOf(".", ROOT_PREFIX.length);
  return afterRun < 0 ? undefined : subject.slice(afterRun + 1);
}

/** True for a publishable subject: non-empty tokens, no wildcards, no white space. */
export function isValidSubject(subject: string): boolean {
  if (subject.length === 0) return false;
  return subject.split(".").every((t) => TOKEN.test(t));
}

/** True for a subscription pattern: tokens, `*` for one token, `>` only as the last token. */
export function isValidPattern(pattern: string): boolean {
  if (pattern.length === 0) return false;
  const parts = pattern.split(".");
  return parts.every((t, i) => t === "*" || (t === ">" && i === parts.length - 1) || TOKEN.test(t));
}

/**
 * Does `subject` match `pattern` under NATS rules? `*` matches exactly one token, `>` one or more
 * trailing tokens.
 */
export function matchSubject(pattern: string, subject: string): boolean {
  if (pattern === subject) return true;
  // Most patterns are plain subjects: without a wildcard only equality matches (no splitting).
  if (!pattern.includes("*") && !pattern.includes(">")) return false;
  const p = pattern.split(".");
  const s = subject.split(".");
  for (let i = 0; i < p.length; i++) {
    const tok = p[i];
    if (tok === ">") return s.length > i;
    if (i >= s.length) return false;
    if (tok !== "*" && tok !== s[i]) return false;
  }
  return p.length === s.length;
}
