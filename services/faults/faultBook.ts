import type { ActorContext } from "../../shared/actor/actor.ts";
import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import type { FaultApplier } from "./faultCatalogue.ts";
import { FAULT_CATALOGUE } from "./faultCatalogue.ts";
import { FaultApplied, FaultArmed, FaultInjected, FaultRejected, FAULT_PATHS } from "./faultEvents.ts";
import type { FaultKind, FaultSpec } from "./faultKinds.ts";
import { offerToTrigger, type Trigger } from "./trigger.ts";

/** A fault an actor took: the id of the event that injected it, the fault, and its trigger if any. */
export interface TakenFault<F extends FaultSpec = FaultSpec> {
  readonly id: string;
  readonly fault: F;
  readonly trigger: Trigger | undefined;
}

/**
 * The fault bookkeeping of one applying actor (`gpu<N>.<role>`): it picks the `FaultInjected`
 * inputs addressed to it (its role's kinds, its GPU), counts the events it handles towards the
 * waiting triggers with the pure matcher of `trigger.ts`, and publishes the family's facts —
 * `FaultArmed`, `FaultApplied` (numbering occurrences per fault), `FaultRejected`. What a fault
 * does stays in the actor; the book only says when.
 *
 * @example
 * const book = new FaultBook(ctx, gpu, "regs");
 * // in handle(e):
 * const taken = book.take(e);          // a FaultInjected for gpu<N>.regs, or undefined
 * for (const f of book.fired(e)) act(f, e);
 */
export class FaultBook {
  private readonly waiting: { fault: TakenFault; seen: number }[] = [];
  private readonly occurrences = new Map<string, number>();

  constructor(
    private readonly ctx: ActorContext,
    private readonly gpu: number,
    private readonly role: FaultApplier,
  ) {}

  /**
   * A `FaultInjected` for this actor, or undefined for any other event. A fault with a trigger
   * is parked (and `FaultArmed` published) and undefined returned; one without is returned to act
   * on now.
   */
  take(e: Envelope): TakenFault | undefined {
    if (!EventRegistry.is(FaultInjected, e)) return undefined;
    const { fault, trigger } = e.payload;
    // In-process publishers hand the payload over unparsed: a missing `gpu` is the default GPU 0.
    if (FAULT_CATALOGUE[fault.kind].applier !== this.role || ((fault as { gpu?: number }).gpu ?? 0) !== this.gpu) return undefined;
    const taken: TakenFault = { id: e.id, fault, trigger };
    if (trigger === undefined) return taken;
    this.waiting.push({ fault: taken, seen: 0 });
    this.armed(taken, describeTrigger(trigger));
    return undefined;
  }

  /** The parked faults whose trigger `e` fires (each fires once and leaves the book). */
  fired(e: Envelope): TakenFault[] {
    if (this.waiting.length === 0) return [];
    const out: TakenFault[] = [];
    for (let i = 0; i < this.waiting.length; ) {
      const w = this.waiting[i]!;
      const r = offerToTrigger(w.fault.trigger!, w.seen, e);
      w.seen = r.seen;
      if (r.fired) {
        out.push(w.fault);
        this.waiting.splice(i, 1);
      } else i++;
    }
    return out;
  }

  /** Publish `FaultArmed`: the fault waits for `waitsFor`. */
  armed(f: { readonly id: string; readonly fault: { readonly kind: FaultKind } }, waitsFor: string): void {
    this.ctx.publish(FaultArmed, FAULT_PATHS.armed, { fault: f.id, kind: f.fault.kind, gpu: this.gpu, waitsFor });
  }

  /** Publish `FaultApplied` for the fault injected by event `id` (a `FaultInjected` or a legacy fault event); call it before the effects. */
  applied(id: string, kind: FaultKind, detail: string): void {
    const occurrence = (this.occurrences.get(id) ?? 0) + 1;
    this.occurrences.set(id, occurrence);
    this.ctx.publish(FaultApplied, FAULT_PATHS.applied, { fault: id, kind, gpu: this.gpu, occurrence, detail });
  }

  /** Publish `FaultRejected`: the fault cannot act in this world. */
  rejected(f: TakenFault, reason: string): void {
    this.ctx.publish(FaultRejected, FAULT_PATHS.rejected, { fault: f.id, kind: f.fault.kind, gpu: this.gpu, reason });
  }

  /** Parked faults, for snapshots. */
  snapshot(): { fault: string; kind: FaultKind; seen: number }[] {
    return this.waiting.map((w) => ({ fault: w.fault.id, kind: w.fault.fault.kind, seen: w.seen }));
  }
}

/** "the 3rd JobDispatched matching {"as":2}". */
export function describeTrigger(t: Trigger): string {
  const n = t.on.count ?? 1;
  const nth = n === 1 ? "the next" : `the ${n}${ordinalSuffix(n)}`;
  return `${nth} ${t.on.eventType}${t.on.match === undefined ? "" : ` matching ${JSON.stringify(t.on.match)}`}`;
}

function ordinalSuffix(n: number): string {
  if (n % 100 >= 11 && n % 100 <= 13) return "th";
  return ["th", "st", "nd", "rd"][n % 10] ?? "th";
}
