import { z } from "zod";
import { defineEvent } from "./registry.ts";

/** Subject path (inside a run) on which rejected messages are reported. */
export const SYS_ERROR_PATH = "sys.error";

/**
 * A message on a subject failed its schema: the sender keeps running and the rejection is
 * recorded on the log with the subject, the failing field and the reason.
 */
export const MessageRejected = defineEvent(
  "MessageRejected",
  z.object({
    subject: z.string(),
    field: z.string(),
    reason: z.string(),
    /** The first bytes of the offending message, for the person reading the log. */
    excerpt: z.string(),
  }),
  "A message failed validation and was dropped; names subject, field and reason.",
);

/** The run's virtual time reached its end; the last event of every completed run. */
export const RunEnded = defineEvent(
  "RunEnded",
  z.object({ reason: z.enum(["duration", "idle", "until"]), events: z.number().int().nonnegative() }),
  "The run stopped: duration reached, nothing left to do, or a --until bound.",
);

/**
 * An actor threw while handling an event. The run goes on (the event stays on the log, the actor
 * keeps its state from before the throw as far as it got) and the failure is on the record.
 */
export const ActorHandlerFailed = defineEvent(
  "ActorHandlerFailed",
  z.object({ actor: z.string(), event: z.string(), error: z.string() }),
  "An actor's handler threw; the event and the error message are recorded, the run continues.",
);

/** System events every runtime knows. */
export const systemEvents = [MessageRejected, RunEnded, ActorHandlerFailed] as const;
