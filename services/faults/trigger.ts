/**
 * When an injected fault takes effect. A fault input is delivered at its virtual time (the
 * scenario step's `at`, `tyrsim inject --at`, the input's `atNs`); without a trigger it acts
 * then. With `trigger.on` it waits, in the actor that applies it, for the Nth event of a type
 * whose payload contains a given subset — "the 3rd JobDispatched with as = 2" is
 * `{ on: { eventType: "JobDispatched", count: 3, match: { as: 2 } } }`. Counting starts when the
 * fault is delivered.
 *
 * The matcher is pure: a trigger, a count of matches so far, and an event in; the new count and
 * whether the trigger fired out. Actors hold the count (see `faultBook.ts`).
 */
import { z } from "zod";

/** A JSON value a payload subset may hold. */
const JsonValue: z.ZodType<unknown> = z.json();

/** "On the Nth event of a type whose payload contains `match`." */
export const TriggerOnSchema = z.strictObject({
  /** Registered event type counted, e.g. `JobDispatched`. */
  eventType: z.string().min(1).describe("event type counted, e.g. JobDispatched"),
  /** Which matching event fires the trigger: 1 = the first after the fault is delivered. */
  count: z.number().int().min(1).default(1).describe("fire on the Nth matching event (default 1)"),
  /** Payload subset: every key given must equal (deeply; objects as subsets) the event's. */
  match: z.record(z.string(), JsonValue).optional().describe("payload subset the event must contain, e.g. { as: 2 }"),
});

/** The trigger of a fault: for now only "on the Nth matching event" (time is the input's own). */
export const TriggerSchema = z.strictObject({ on: TriggerOnSchema });

/** A validated trigger. */
export type Trigger = z.infer<typeof TriggerSchema>;

/** The part of an event a trigger looks at. */
export interface TriggerEvent {
  readonly type: string;
  readonly payload: unknown;
}

/**
 * Does `payload` contain `subset`? Primitives compare with `===`; an object subset matches an
 * object payload when every key of the subset matches recursively; an array subset matches an
 * array of the same length element by element.
 *
 * @example containsSubset({ as: 2 }, { job: "j3", as: 2, kind: "compute" }) // true
 */
export function containsSubset(subset: unknown, payload: unknown): boolean {
  if (subset === null || typeof subset !== "object") return subset === payload;
  if (payload === null || typeof payload !== "object") return false;
  if (Array.isArray(subset)) {
    return Array.isArray(payload) && subset.length === payload.length && subset.every((s, i) => containsSubset(s, payload[i]));
  }
  const p = payload as Record<string, unknown>;
  return Object.entries(subset as Record<string, unknown>).every(([k, v]) => Object.hasOwn(p, k) && containsSubset(v, p[k]));
}

/** Does `e` count towards `trigger`? (Type and payload subset; the count is not looked at.) */
export function triggerMatches(trigger: Trigger, e: TriggerEvent): boolean {
  return e.type === trigger.on.eventType && (trigger.on.match === undefined || containsSubset(trigger.on.match, e.payload));
}

/**
 * Offer one event to a trigger that has counted `seen` matching events so far: the new count and
 * whether this event fired it (the count reached `trigger.on.count` exactly, so a trigger fires
 * once).
 *
 * @example offerToTrigger({ on: { eventType: "JobDispatched", count: 2 } }, 1, dispatched) // { seen: 2, fired: true }
 */
export function offerToTrigger(trigger: Trigger, seen: number, e: TriggerEvent): { readonly seen: number; readonly fired: boolean } {
  if (!triggerMatches(trigger, e)) return { seen, fired: false };
  const next = seen + 1;
  // `count` defaults to 1 (an in-process publisher's payload may not have been through the schema).
  return { seen: next, fired: next === (trigger.on.count ?? 1) };
}
