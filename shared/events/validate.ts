import type { z } from "zod";
import { EnvelopeSchema, type Envelope } from "./envelope.ts";
import type { EventRegistry } from "./registry.ts";

/** Why a message was rejected: the subject it came on, the failing field (dotted path) and a reason. */
export interface Rejection {
  readonly subject: string;
  readonly field: string;
  readonly reason: string;
  readonly excerpt: string;
}

/** Outcome of decoding a message that crossed a process or file boundary. */
export type Decoded = { readonly ok: true; readonly event: Envelope } | { readonly ok: false; readonly rejection: Rejection };

const EXCERPT = 160;
const decoder = new TextDecoder();

/** The first characters of a message for a rejection report; never throws (bigint, cycles). */
export function excerptOf(raw: unknown): string {
  let text: string;
  if (typeof raw === "string") text = raw;
  else if (raw instanceof Uint8Array) text = decoder.decode(raw);
  else {
    try {
      text = JSON.stringify(raw) ?? String(raw);
    } catch {
      text = Object.prototype.toString.call(raw);
    }
  }
  return text.length > EXCERPT ? `${text.slice(0, EXCERPT)}…` : text;
}

function firstIssue(error: z.ZodError, prefix: string): { field: string; reason: string } {
  const issue = error.issues[0];
  if (issue === undefined) return { field: prefix || "(message)", reason: "invalid" };
  const path = issue.path.map(String).join(".");
  const field = [prefix, path].filter((s) => s.length > 0).join(".");
  return { field: field || "(message)", reason: issue.message };
}

/**
 * Decode and validate one raw message (JSON text, bytes, or an already-parsed object) received on
 * `subject`: the envelope, then the payload against the registered schema of its type, then that
 * the envelope's subject is the one it arrived on. Never throws.
 */
export function decodeMessage(raw: unknown, subject: string, registry: EventRegistry): Decoded {
  const reject = (field: string, reason: string): Decoded => ({
    ok: false,
    rejection: { subject, field, reason, excerpt: excerptOf(raw) },
  });
  let value: unknown = raw;
  if (typeof raw === "string" || raw instanceof Uint8Array) {
    try {
      value = JSON.parse(typeof raw === "string" ? raw : decoder.decode(raw));
    } catch (e) {
      return reject("(json)", `not valid JSON: ${(e as Error).message}`);
    }
  }
  if (typeof value === "object" && value !== null && !jsonSafe(value)) return reject("(message)", "not plain JSON (bigint, function or cycle)");
  const env = EnvelopeSchema.safeParse(value);
  if (!env.success) {
    const { field, reason } = firstIssue(env.error, "");
    return reject(field, reason);
  }
  const def = registry.get(env.data.type);
  if (def === undefined) return reject("type", `unknown event type '${env.data.type}'`);
  const payload = def.payload.safeParse(env.data.payload);
  if (!payload.success) {
    const { field, reason } = firstIssue(payload.error, "payload");
    return reject(field, reason);
  }
  if (env.data.subject !== subject) return reject("subject", `envelope names '${env.data.subject}' but arrived on '${subject}'`);
  return { ok: true, event: { ...env.data, payload: payload.data } };
}

/** Can `value` travel as JSON? (Objects handed over in-process may hold bigints or cycles.) */
export function jsonSafe(value: unknown): boolean {
  try {
    JSON.stringify(value);
    return true;
  } catch {
    return false;
  }
}
