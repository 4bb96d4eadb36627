import { z } from "zod";
import type { TypedEnvelope } from "./envelope.ts";

/**
 * A registered event type: its name (a past-tense fact), its payload schema and a one-line
 * description used by `tyrsim` help and the exported wire catalogue.
 */
export interface EventDef<T extends string = string, S extends z.ZodType = z.ZodType> {
  readonly type: T;
  readonly payload: S;
  readonly description: string;
}

/** Define an event type; the TypeScript payload type is inferred from the zod schema. */
export function defineEvent<const T extends string, S extends z.ZodType>(
  type: T,
  payload: S,
  description: string,
): EventDef<T, S> {
  return { type, payload, description };
}

/** The payload type of an event definition. */
export type PayloadOf<D extends EventDef> = z.infer<D["payload"]>;

/** The envelope type of an event definition. */
export type EventOf<D extends EventDef> = TypedEnvelope<D["type"], PayloadOf<D>>;

/** Thrown when two different definitions claim the same event type. */
export class DuplicateEventTypeError extends Error {
  override readonly name = "DuplicateEventTypeError";
  constructor(readonly eventType: string) {
    super(`event type '${eventType}' is registered twice with different definitions`);
  }
}

/**
 * The set of event types a run knows. Services register their definitions; the validator and the
 * scenario loader look types up here, so an unknown type is an error with a name, not a crash.
 */
export class EventRegistry {
  private readonly defs = new Map<string, EventDef>();

  /** Register definitions; registering the very same definition twice is harmless. */
  register(...defs: readonly EventDef[]): this {
    const batch = new Map<string, EventDef>();
    for (const d of defs) {
      const known = this.defs.get(d.type) ?? batch.get(d.type);
      if (known !== undefined && known !== d) throw new DuplicateEventTypeError(d.type);
      batch.set(d.type, d);
    }
    for (const [type, d] of batch) this.defs.set(type, d);
    return this;
  }

  /** The definition of `type`, or undefined. */
  get(type: string): EventDef | undefined {
    return this.defs.get(type);
  }

  /** Every registered definition, sorted by type name (stable for catalogue export). */
  all(): EventDef[] {
    return [...this.defs.values()].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  }

  /** Is `e` an event of definition `def`? Narrowing helper for handlers. */
  static is<D extends EventDef>(def: D, e: { type: string }): e is EventOf<D> {
    return e.type === def.type;
  }
}
