import type { Subscription } from "rxjs";
import type { Transport } from "../bus/transport.ts";
import { EnvelopeSchema } from "../events/envelope.ts";
import { decodeInput, type InputMessage } from "../events/input.ts";
import type { EventRegistry } from "../events/registry.ts";
import { subjectOf } from "../events/subjects.ts";
import type { Rejection } from "../events/validate.ts";

/** Subject path on which outside clients publish inputs (faults) into a live run. */
export const INJECT_PATH = "fault.inject";

const textDecoder = new TextDecoder();

/** JSON-parse text or bytes when they parse; anything else is returned as it is (and fails validation with a named reason). */
function parseIfText(data: unknown): unknown {
  if (typeof data !== "string" && !(data instanceof Uint8Array)) return data;
  try {
    return JSON.parse(typeof data === "string" ? data : textDecoder.decode(data));
  } catch {
    return data;
  }
}

/**
 * Listen for outside inputs on `tyrsim.<run>.fault.inject`: valid ones go to `accept`, invalid
 * ones to `reject` with subject, field and reason. Delivered events come back on the same subject
 * as full envelopes (the run mirrors its log): those are echoes, not inputs, and are skipped.
 * Shared by the embedded runtime and the multi-process coordinator.
 */
export function watchOutsideInputs(
  transport: Transport,
  run: string,
  registry: EventRegistry,
  accept: (input: InputMessage) => void,
  reject: (r: Rejection) => void,
): Subscription {
  return transport.subscribe(subjectOf(run, INJECT_PATH)).subscribe((m) => {
    const value = parseIfText(m.data);
    if (EnvelopeSchema.safeParse(value).success) return;
    const d = decodeInput(value, m.subject, registry);
    if (d.ok) accept(d.input);
    else reject(d.rejection);
  });
}
