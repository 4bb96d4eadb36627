import { z } from "zod";
import { EnvelopeSchema } from "../../shared/events/envelope.ts";

/**
 * The coordinator protocol of the multi-process runtime, over NATS request/reply. Every message is
 * JSON validated by these schemas at both ends, so a service written in another language can
 * take part by speaking them.
 *
 *   service → `tyrsim.<run>.ctl.hello`            Hello          (request; reply: Welcome)
 *   coordinator → `tyrsim.<run>.ctl.svc.<name>`   LevelRequest   (request; reply: LevelReply)
 *   coordinator → `tyrsim.<run>.ctl.end`          RunFinished    (publish)
 *   service → `tyrsim.<run>.ctl.health`           ServiceHealth  (publish)
 *   coordinator → `tyrsim.<run>.ctl.status`       RunStatus      (publish, every second; for `tyrsim status`)
 *   coordinator → `tyrsim.<run>.ctl.kill.<name>`  (empty)        (publish: a service-died fault; the process kills itself)
 */
export const ctlSubjects = (run: string) => ({
  hello: `tyrsim.${run}.ctl.hello`,
  service: (name: string) => `tyrsim.${run}.ctl.svc.${name}`,
  end: `tyrsim.${run}.ctl.end`,
  health: `tyrsim.${run}.ctl.health`,
  status: `tyrsim.${run}.ctl.status`,
  kill: (name: string) => `tyrsim.${run}.ctl.kill.${name}`,
});

const OrderKeySchema = z.object({
  timeNs: z.number().int().nonnegative(),
  depth: z.number().int().nonnegative(),
  source: z.string().min(1),
  n: z.number().int().nonnegative(),
});

/** An event an actor published, before the coordinator gives it its place in the log. */
export const DraftSchema = OrderKeySchema.extend({
  id: z.string().min(1),
  subject: z.string().min(1),
  type: z.string().min(1),
  cause: z.string().nullable(),
  payload: z.unknown(),
});

/** A service announces itself: its name, the actors it hosts (owned and shadow) and the subjects they listen to. */
export const HelloSchema = z.object({
  service: z.string().min(1),
  actors: z.array(z.string()),
  shadows: z.array(z.string()),
  patterns: z.array(z.string()),
  nextTimer: OrderKeySchema.nullable(),
});
/** A Hello message. */
export type Hello = z.infer<typeof HelloSchema>;

const LevelSchema = z.object({ timeNs: z.number().int().nonnegative(), depth: z.number().int().nonnegative() });

/**
 * The coordinator's answer to Hello. A service joining a run under way (a restarted process)
 * gets where to resume: it replays the log's events before `beforeSeq` into its fresh actors and
 * fires their timers through level `through`, reading the log from JetStream (`log`), before it
 * answers any request.
 */
export const WelcomeSchema = z.object({
  ok: z.boolean(),
  reason: z.string().optional(),
  resume: z.object({ beforeSeq: z.number().int().nonnegative(), through: LevelSchema.nullable() }).optional(),
  log: z.enum(["jetstream", "none"]).optional(),
});
/** A Welcome message. */
export type Welcome = z.infer<typeof WelcomeSchema>;

/** Handle one level: its events (seq assigned, canonical order) and where to stop firing timers. */
export const LevelRequestSchema = z.object({
  /** Exchange number: a service answers a repeated round (a retried request) from its cache, never twice. */
  round: z.number().int().nonnegative(),
  level: LevelSchema,
  events: z.array(EnvelopeSchema),
  stopBefore: OrderKeySchema.nullable(),
});
/** A LevelRequest message. */
export type LevelRequest = z.infer<typeof LevelRequestSchema>;

/** What the service's actors published while handling the level, and its next timer. */
export const LevelReplySchema = z.object({
  drafts: z.array(DraftSchema),
  nextTimer: OrderKeySchema.nullable(),
});
/** A LevelReply message. */
export type LevelReply = z.infer<typeof LevelReplySchema>;

/** A service's health: ready after Hello, draining on SIGTERM. */
export const ServiceHealthSchema = z.object({ service: z.string(), state: z.enum(["ready", "draining"]) });

/** The run is over; services may exit. */
export const RunFinishedSchema = z.object({ events: z.number().int().nonnegative() });

/** How the coordinator sees one service: its last health, or `silent` (no health yet, or a level request unanswered for a second). */
export const ServiceStatusSchema = z.object({
  service: z.string(),
  state: z.enum(["ready", "draining", "silent"]),
  /** Wall-clock time (Unix ms) since which the service has been in that state. */
  sinceMs: z.number(),
});

/**
 * The coordinator's periodic report on a live run (wall-clock facts about the deployment, never
 * logged: the log stays deterministic). Read by `tyrsim status`.
 */
export const RunStatusSchema = z.object({
  run: z.string(),
  /** `gathering` until every expected service said Hello; `finished` once, at the end. */
  phase: z.enum(["gathering", "running", "finished"]),
  virtualTimeNs: z.number().int().nonnegative(),
  eventsLogged: z.number().int().nonnegative(),
  /** Events logged per wall-clock second over the last report period. */
  eventsPerSecond: z.number().nonnegative(),
  /** Services the coordinator waits for: a Hello while gathering, a level reply while running. */
  waitingFor: z.array(z.string()),
  services: z.array(ServiceStatusSchema),
  /** Wall-clock time (Unix ms) of this report. */
  atMs: z.number(),
});
/** A RunStatus message. */
export type RunStatus = z.infer<typeof RunStatusSchema>;
