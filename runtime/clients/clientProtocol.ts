/**
 * The protocol between a live run and user-space clients in other processes (the libdrm-style
 * client API over NATS). A client sends requests on `tyrsim.<run>.ctl.client` and awaits a reply:
 *
 * | op | what the run does | reply |
 * |---|---|---|
 * | `attach` | from now on, virtual time moves only inside this client's requests (a client "holds" the clock) | `nowNs` |
 * | `request` | feeds the event as an input from the client one nanosecond after now and runs until an event of `answer.types` carrying `answer.tag` is delivered | `answer`, `nowNs` |
 * | `advance` | lets `ns` of virtual time pass (the client sleeps) | `nowNs` |
 * | `detach` | the client lets go of the clock; with none attached the run goes on to its end | `nowNs` |
 *
 * Why a client holds the clock: a live run otherwise races ahead of a remote client (a NATS round
 * trip is ~0.3 ms of wall time, in which the run simulates many milliseconds), so a syscall would
 * land at whatever virtual time the network made it. Held, each request lands exactly one
 * nanosecond after the previous answer — the same instant the in-process channel uses — so a
 * session over NATS writes the very log the same session writes embedded, and replays.
 */
import { z } from "zod";
import { EnvelopeSchema } from "../../shared/events/envelope.ts";
import { isValidSubject } from "../../shared/events/subjects.ts";

/** The control subject of a run's clients. */
export const clientSubject = (run: string): string => `tyrsim.${run}.ctl.client`;

/** A client's name: the `source` of its requests in the log. */
export const ClientNameSchema = z.string().regex(/^[a-z][a-z0-9_-]*$/, "lower-case letters, digits, '-' and '_', starting with a letter");

/** One message from a client. */
export const ClientRequestSchema = z.discriminatedUnion("op", [
  z.object({ op: z.literal("attach"), client: ClientNameSchema }),
  z.object({ op: z.literal("detach"), client: ClientNameSchema }),
  z.object({ op: z.literal("advance"), client: ClientNameSchema, ns: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER) }),
  z.object({
    op: z.literal("request"),
    client: ClientNameSchema,
    type: z.string().min(1),
    path: z.string().refine(isValidSubject, { message: "not a subject path" }),
    payload: z.unknown(),
    answer: z.object({ types: z.array(z.string().min(1)).min(1), tag: z.string().min(1) }),
  }),
]);
/** A validated client message. */
export type ClientRequest = z.infer<typeof ClientRequestSchema>;

/** The run's reply: ok with virtual time (and the answer of a `request`), or an error saying why. */
export const ClientReplySchema = z.object({
  ok: z.boolean(),
  nowNs: z.number().int().nonnegative(),
  answer: EnvelopeSchema.optional(),
  error: z.string().optional(),
});
/** A validated reply. */
export type ClientReply = z.infer<typeof ClientReplySchema>;
