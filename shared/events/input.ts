import { z } from "zod";
import type { EventRegistry } from "./registry.ts";
import { isValidSubject } from "./subjects.ts";
import { excerptOf, jsonSafe, type Rejection } from "./validate.ts";

/**
 * What an outside client (`tyrsim inject`, any NATS client, a test) publishes to feed a run: an
 * event type and payload, optionally a virtual time. The runtime gives it its place in the
 * canonical order and logs it, so replay re-feeds it exactly.
 */
export const InputMessageSchema = z.object({
  type: z.string().min(1),
  payload: z.unknown(),
  /** Earliest virtual time to deliver at; default (or a time already past): the run's next instant. */
  atNs: z.number().int().nonnegative().optional(),
  /** Subject path inside the run the event is delivered on (default `fault.inject`), e.g. `gpu0.pwr.cmd`. */
  path: z.string().refine(isValidSubject, { message: "not a subject path (dot-separated tokens, no wildcards)" }).optional(),
});

/** A validated input. */
export type InputMessage = z.infer<typeof InputMessageSchema>;

const decoder = new TextDecoder();

/** Decode and validate an input message received on `subject`; never throws. */
export function decodeInput(
  raw: unknown,
  subject: string,
  registry: EventRegistry,
): { ok: true; input: InputMessage } | { ok: false; rejection: Rejection } {
  const text = typeof raw === "string" ? raw : raw instanceof Uint8Array ? decoder.decode(raw) : undefined;
  const excerpt = excerptOf(raw);
  const reject = (field: string, reason: string) => ({ ok: false as const, rejection: { subject, field, reason, excerpt } });
  let value: unknown = raw;
  if (text !== undefined) {
    try {
      value = JSON.parse(text);
    } catch (e) {
      return reject("(json)", `not valid JSON: ${(e as Error).message}`);
    }
  }
  if (typeof value === "object" && value !== null && !jsonSafe(value)) return reject("(message)", "not plain JSON (bigint, function or cycle)");
  const msg = InputMessageSchema.safeParse(value);
  if (!msg.success) {
    const issue = msg.error.issues[0];
    return reject(issue?.path.map(String).join(".") || "(message)", issue?.message ?? "invalid");
  }
  const def = registry.get(msg.data.type);
  if (def === undefined) return reject("type", `unknown event type '${msg.data.type}'`);
  const payload = def.payload.safeParse(msg.data.payload);
  if (!payload.success) {
    const issue = payload.error.issues[0];
    return reject(["payload", ...(issue?.path.map(String) ?? [])].join("."), issue?.message ?? "invalid");
  }
  return { ok: true, input: { ...msg.data, payload: payload.data } };
}
