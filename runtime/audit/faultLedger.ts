import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import { MessageRejected } from "../../shared/events/systemEvents.ts";
import { INJECT_PATH } from "../../shared/runtime/simulation.ts";
import { LEGACY_FAULT_TYPES } from "../../services/faults/faultCatalogue.ts";
import { FaultApplied, FaultArmed, FaultInjected, FaultRejected } from "../../services/faults/faultEvents.ts";
import type { FaultKind } from "../../services/faults/faultKinds.ts";
import { describeTrigger } from "../../services/faults/faultBook.ts";
import { gpuOf, refOf, type EventRef } from "./eventRef.ts";

/** One injected fault as the log tells it: the input, who took it, each time it acted. */
export interface FaultRecord {
  /** The id of the event that injected it (`FaultApplied.fault` points here). */
  readonly id: string;
  readonly input: EventRef;
  /** `scenario`, `injector`, or the actor that published a legacy fault event. */
  readonly source: string;
  readonly kind: FaultKind;
  readonly gpu: number;
  readonly label?: string;
  /** The fault as given (the `FaultInjected` fault, or the legacy payload). */
  readonly spec: unknown;
  /** "the 3rd JobDispatched matching …", or undefined for "at delivery". */
  readonly trigger?: string;
  armed?: { readonly ref: EventRef; readonly actor: string; readonly waitsFor: string };
  readonly applied: { readonly ref: EventRef; readonly actor: string; readonly detail: string }[];
  rejected?: { readonly ref: EventRef; readonly reason: string };
}

/** A fault input the runtime refused at its boundary (schema): it never reached an actor. */
export interface RefusedFault {
  readonly ref: EventRef;
  readonly field: string;
  readonly reason: string;
  readonly excerpt: string;
}

/**
 * Per event type, whether it injects a fault: asked of every event by the ledger, the causality
 * tracker and the audit, and an `in` on the legacy table costs a string-table lookup each time.
 * Bounded, in case a log is made of ever new types.
 */
const faultInputTypes = new Map<string, boolean>();
const MAX_REMEMBERED_TYPES = 10_000;

/** The events the ledger reads besides fault inputs. */
const ANSWERS: ReadonlySet<string> = new Set([FaultArmed, FaultApplied, FaultRejected, MessageRejected].map((d) => d.type));

/** How many `FaultApplied` occurrences a record keeps (a persistent fault may act thousands of times). */
const MAX_APPLIED = 20;

/**
 * The faults of a log, followed as a stream: every `FaultInjected` and older single-purpose fault
 * event (`PowerSupplyFaultArmed`, `JobFaultInjected`, `FirmwareFaultInjected`), and the
 * `FaultArmed`/`FaultApplied`/`FaultRejected` answers that name them; plus fault inputs rejected
 * as `MessageRejected` on `fault.inject`.
 */
export class FaultLedger {
  readonly faults = new Map<string, FaultRecord>();
  readonly refused: RefusedFault[] = [];
  /** Occurrences beyond MAX_APPLIED, per fault. */
  readonly moreApplied = new Map<string, number>();

  /** Is `e` an event that injects a fault? */
  static isFaultInput(e: Envelope): boolean {
    const known = faultInputTypes.get(e.type);
    if (known !== undefined) return known;
    const is = e.type === FaultInjected.type || e.type in LEGACY_FAULT_TYPES;
    if (faultInputTypes.size < MAX_REMEMBERED_TYPES) faultInputTypes.set(e.type, is);
    return is;
  }

  /** Follow one event of the log. */
  push(e: Envelope): void {
    if (!ANSWERS.has(e.type) && !FaultLedger.isFaultInput(e)) return;
    if (EventRegistry.is(FaultInjected, e)) {
      const { fault, trigger, label } = e.payload;
      this.add(e, fault.kind, (fault as { gpu?: number }).gpu ?? 0, fault, trigger === undefined ? undefined : describeTrigger(trigger), label);
    } else if (e.type in LEGACY_FAULT_TYPES) {
      const p = e.payload as Record<string, unknown>;
      this.add(e, LEGACY_FAULT_TYPES[e.type]!(p), typeof p["gpu"] === "number" ? p["gpu"] : (gpuOf(e) ?? 0), { type: e.type, ...p }, undefined, undefined);
    } else if (EventRegistry.is(FaultArmed, e)) {
      const r = this.faults.get(e.payload.fault);
      if (r !== undefined) r.armed = { ref: refOf(e), actor: e.source, waitsFor: e.payload.waitsFor };
    } else if (EventRegistry.is(FaultApplied, e)) {
      const r = this.faults.get(e.payload.fault);
      if (r === undefined) return;
      if (r.applied.length < MAX_APPLIED) r.applied.push({ ref: refOf(e), actor: e.source, detail: e.payload.detail });
      else this.moreApplied.set(r.id, (this.moreApplied.get(r.id) ?? 0) + 1);
    } else if (EventRegistry.is(FaultRejected, e)) {
      const r = this.faults.get(e.payload.fault);
      if (r !== undefined) r.rejected = { ref: refOf(e), reason: e.payload.reason };
    } else if (EventRegistry.is(MessageRejected, e) && e.payload.subject.endsWith(`.${INJECT_PATH}`)) {
      this.refused.push({ ref: refOf(e), field: e.payload.field, reason: e.payload.reason, excerpt: e.payload.excerpt });
    }
  }

  /** The faults that acted (or were armed) on `gpu` no later than `timeNs`, latest first. */
  activeBefore(gpu: number, timeNs: number): FaultRecord[] {
    const acted = (r: FaultRecord) => r.applied[0]?.ref.timeNs ?? r.armed?.ref.timeNs;
    return [...this.faults.values()]
      .filter((r) => r.gpu === gpu && r.rejected === undefined && (acted(r) ?? Infinity) <= timeNs)
      .sort((a, b) => (acted(b) ?? 0) - (acted(a) ?? 0) || b.input.seq - a.input.seq);
  }

  private add(e: Envelope, kind: FaultKind, gpu: number, spec: unknown, trigger: string | undefined, label: string | undefined): void {
    this.faults.set(e.id, {
      id: e.id, input: refOf(e), source: e.source, kind, gpu, spec, applied: [],
      ...(trigger !== undefined ? { trigger } : {}), ...(label !== undefined ? { label } : {}),
    });
  }
}
