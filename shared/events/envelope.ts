import { z } from "zod";

/**
 * The one envelope every tyrsim event travels in, on every transport and in every log.
 *
 * Ordering fields (`timeNs`, `depth`, `source`, and the counter inside `id`) give the canonical
 * delivery order within an instant, independent of arrival order on a socket: events are
 * delivered by virtual time, then causal depth within that instant, then source name, then the
 * source's own counter. `seq` is the position in the run's log, assigned at delivery.
 */
export const EnvelopeSchema = z.object({
  /** `<source>:<n>`: the source actor and its own per-run counter (deterministic, never random). */
  id: z.string().min(1),
  /** Run identifier; also the second token of every subject. */
  run: z.string().min(1),
  /** Position in the run's log, from 0. */
  seq: z.number().int().nonnegative(),
  /** Virtual time of delivery in nanoseconds since the start of the run. */
  timeNs: z.number().int().nonnegative(),
  /** Causal depth within the instant: 0 for the first event of an instant, cause's depth + 1 for an immediate reaction. */
  depth: z.number().int().nonnegative(),
  /** The actor (or `scenario`, `injector`, `runtime`) that published the event. */
  source: z.string().min(1),
  /** Full NATS subject the event was published on (`tyrsim.<run>.…`). */
  subject: z.string().min(1),
  /** Registered event type, a past-tense fact such as `PowerDomainReady`. */
  type: z.string().min(1),
  /** Id of the event whose handling produced this one, or null for an input. */
  cause: z.string().nullable(),
  /** Type-specific payload, plain JSON (no bigint; 64-bit values are encoded as strings). */
  payload: z.unknown(),
});

/** An event as delivered and logged. */
export type Envelope = z.infer<typeof EnvelopeSchema>;

/** An envelope whose payload has been checked against its registered schema. */
export type TypedEnvelope<T extends string, P> = Omit<Envelope, "type" | "payload"> & {
  readonly type: T;
  readonly payload: P;
};

/**
 * Build an envelope with the canonical key order, so that `JSON.stringify` of two equal events is
 * byte-identical whichever process built them.
 */
export function makeEnvelope(e: Envelope): Envelope {
  return {
    id: e.id,
    run: e.run,
    seq: e.seq,
    timeNs: e.timeNs,
    depth: e.depth,
    source: e.source,
    subject: e.subject,
    type: e.type,
    cause: e.cause,
    payload: e.payload,
  };
}

/** Split an event id `<source>:<n>` into its parts; the counter orders a source's events. */
export function parseEventId(id: string): { source: string; n: number } {
  const i = id.lastIndexOf(":");
  return { source: id.slice(0, i), n: Number(id.slice(i + 1)) };
}

/** The envelope's fields in canonical order (`makeEnvelope`, and every line tyrsim writes). */
const ENVELOPE_KEYS = ["id", "run", "seq", "timeNs", "depth", "source", "subject", "type", "cause", "payload"] as const;

/** A non-empty string (`z.string().min(1)`): for fast exact shape checks such as {@link isCanonicalEnvelope}. */
export const isName = (v: unknown): boolean => typeof v === "string" && v.length > 0;
/** A non-negative safe integer (`z.number().int().nonnegative()`): for fast exact shape checks. */
export const isCount = (v: unknown): boolean => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/**
 * A fast check that `value` is an envelope exactly as tyrsim writes it: the ten fields in canonical
 * order, nothing else, each as `EnvelopeSchema` requires. Anything it accepts, the schema accepts
 * unchanged (so a reader may use `value` as is); anything else must go through the schema, which
 * also names what is wrong. This is what lets a log reader validate a million lines at the speed
 * of parsing them.
 */
export function isCanonicalEnvelope(value: unknown): value is Envelope {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  let i = 0;
  for (const key in value) if (key !== ENVELOPE_KEYS[i++]) return false;
  if (i !== ENVELOPE_KEYS.length) return false;
  const e = value as Record<string, unknown>;
  return (
    isName(e["id"]) &&
    isName(e["run"]) &&
    isCount(e["seq"]) &&
    isCount(e["timeNs"]) &&
    isCount(e["depth"]) &&
    isName(e["source"]) &&
    isName(e["subject"]) &&
    isName(e["type"]) &&
    (e["cause"] === null || typeof e["cause"] === "string")
  );
}
