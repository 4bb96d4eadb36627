import type { Envelope } from "../../shared/events/envelope.ts";
import { parseEventId } from "../../shared/events/envelope.ts";
import { FaultApplied, FaultArmed, FaultRejected } from "../../services/faults/faultEvents.ts";
import { refOf, type EventRef } from "./eventRef.ts";
import { FaultLedger } from "./faultLedger.ts";

/** A tainted event: the fault it descends from and the event it came from (its parent in the chain). */
interface Taint {
  readonly fault: string;
  readonly parent: string | null;
  readonly ref: EventRef;
}

/** How many tainted events the tracker remembers (beyond it, taint stops spreading and the report says so). */
export const DEFAULT_TAINT_LIMIT = 250_000;

/**
 * Which events descend from which injected fault, followed forward through the log as a stream
 * (no index of the whole log): an event is tainted by fault F when it is F's input, when its
 * `cause` is tainted by F, when it is one of F's own facts (`FaultArmed`, `FaultApplied`,
 * `FaultRejected` name F in their payload), or when the same actor published it in the same
 * reaction right after a `FaultApplied` of F — the fault's effects, which share the trigger event
 * as cause. Each tainted event keeps its parent, so a chain from fault to symptom can be read back.
 */
export class Causality {
  private readonly taint = new Map<string, Taint>();
  /** `<cause>|<source>` of each FaultApplied → its fault, id and counter. */
  private readonly reactions = new Map<string, { fault: string; applied: string; n: number }>();
  truncated = false;

  constructor(private readonly limit = DEFAULT_TAINT_LIMIT) {}

  /** Follow one event of the log (in log order: a cause is always seen before its effects). */
  push(e: Envelope): void {
    if (FaultLedger.isFaultInput(e)) return this.mark(e, e.id, null);
    if (e.type === FaultApplied.type || e.type === FaultArmed.type || e.type === FaultRejected.type) {
      const fault = (e.payload as { fault: string }).fault;
      if (!this.taint.has(fault)) return;
      this.mark(e, fault, fault);
      if (e.type === FaultApplied.type) this.reactions.set(`${e.cause}|${e.source}`, { fault, applied: e.id, n: parseEventId(e.id).n });
      return;
    }
    // Nothing tainted yet (a log without faults): no cause can be, and no reaction was recorded.
    if (e.cause === null || this.taint.size === 0) return;
    if (this.reactions.size > 0) {
      const after = this.reactions.get(`${e.cause}|${e.source}`);
      if (after !== undefined && parseEventId(e.id).n > after.n) return this.mark(e, after.fault, after.applied);
    }
    const parent = this.taint.get(e.cause);
    if (parent !== undefined) this.mark(e, parent.fault, e.cause);
  }

  /** The fault event `id` descends from, if any. */
  faultOf(id: string): string | undefined {
    return this.taint.size === 0 ? undefined : this.taint.get(id)?.fault;
  }

  /** The chain from the fault's input to event `id` (inclusive), or [] when `id` is not tainted. */
  chain(id: string): EventRef[] {
    const out: EventRef[] = [];
    for (let t = this.taint.get(id); t !== undefined; t = t.parent === null ? undefined : this.taint.get(t.parent)) out.push(t.ref);
    return out.reverse();
  }

  private mark(e: Envelope, fault: string, parent: string | null): void {
    if (this.taint.size >= this.limit) {
      this.truncated = true;
      return;
    }
    this.taint.set(e.id, { fault, parent, ref: refOf(e) });
  }
}
