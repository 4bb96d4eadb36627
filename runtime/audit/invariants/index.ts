import type { Envelope } from "../../../shared/events/envelope.ts";
import { faultingTranslations } from "./faultingTranslations.ts";
import { fencesSignalInBound } from "./fencesSignalInBound.ts";
import { fencesSignalOnce } from "./fencesSignalOnce.ts";
import { handlesStayInFile } from "./handlesStayInFile.ts";
import type { CheckContext, InvariantChecker, InvariantDef, LogEnd, PendingInvariant, Violation } from "./invariant.ts";
import { irqsServiced } from "./irqsServiced.ts";
import { jobsOnPoweredCores } from "./jobsOnPoweredCores.ts";
import { mcuStatusTransitions } from "./mcuStatusTransitions.ts";
import { noAllocInSignalling } from "./noAllocInSignalling.ts";
import { pageTablesMatchGpuvm } from "./pageTablesMatchGpuvm.ts";
import { resetsResolve } from "./resetsResolve.ts";
import { ringPointers } from "./ringPointers.ts";
import { translationsMapped } from "./translationsMapped.ts";

export type { CheckContext, InvariantDef, LogEnd, PendingInvariant, Violation } from "./invariant.ts";

/** Every invariant checked from today's events, in report order. */
export const INVARIANTS: readonly InvariantDef[] = [
  jobsOnPoweredCores, translationsMapped, faultingTranslations, resetsResolve, ringPointers, mcuStatusTransitions, irqsServiced, handlesStayInFile,
  pageTablesMatchGpuvm,
  fencesSignalOnce, fencesSignalInBound,
  noAllocInSignalling,
];

/**
 * The invariants of the design (DESIGN.md §7, issue 7) that today's events cannot show, and what
 * the log must carry for each: the hooks the driver's submission side fills in. Each becomes an
 * {@link InvariantDef} in its own file once those events exist.
 */
export const PENDING_INVARIANTS: readonly PendingInvariant[] = [
  {
    name: "page-tables-match-gpuvm-unresident",
    statement: "the page tables of a VM not bound to an AS, and of a VM after asynchronous binds, agree with GPUVM",
    needs: "the VM's root table (TRANSTAB) for VMs not on an AS, and the ops of each asynchronous bind job in its VmBindJobCompleted; today those VMs are walked only once resident and after synchronous binds",
  },
  {
    name: "extract-below-insert",
    statement: "a stream's CS_EXTRACT never overtakes its CS_INSERT",
    needs: "CS_INSERT in a firmware or driver event (today it is only bytes the host writes into the ring's input page)",
  },
];

/** A checker and the event types it reads (undefined: all of them). */
interface Fed {
  readonly checker: InvariantChecker;
  readonly reads: ReadonlySet<string> | undefined;
}

/** All checkers of a log, fed together; violations come out in the order they became certain. */
export class InvariantSuite {
  readonly violations: Violation[] = [];
  private readonly fed: readonly Fed[];
  /** Per event type seen, the checkers that read it, in suite order. */
  private readonly route = new Map<string, readonly InvariantChecker[]>();

  constructor(ctx: CheckContext, defs: readonly InvariantDef[] = INVARIANTS) {
    this.fed = defs.map((d) => ({
      checker: d.create((v) => this.violations.push({ invariant: d.name, ...v }), ctx),
      reads: d.reads === undefined ? undefined : new Set(d.reads.map((r) => r.type)),
    }));
  }

  /** Feed one event, in log order, to every checker that reads its type. */
  push(e: Envelope): void {
    // A checker that declares what it reads does nothing with other events, so leaving them out
    // changes no violation and no order: each checker still sees its events in log order.
    let to = this.route.get(e.type);
    if (to === undefined) {
      to = this.fed.filter((f) => f.reads === undefined || f.reads.has(e.type)).map((f) => f.checker);
      this.route.set(e.type, to);
    }
    for (const c of to) c.push(e);
  }

  /** The log ended: let every checker report what the end makes certain; all violations found. */
  finish(end: LogEnd): Violation[] {
    for (const f of this.fed) f.checker.finish(end);
    return this.violations;
  }
}
