import { z } from "zod";
import { EnvelopeSchema } from "../../shared/events/envelope.ts";

/**
 * The coordinator protocol of the multi-process runtime, over NATS request/reply. Every message is
 * JSON validated by these schemas at both ends, so a service written in another language can
 * take part by speaking them.
 *
 *   service → `tyrsim.<run>.ctl.hello`            Hello          (request; reply: Welcome)
 *   coordinator → `tyrsim.<run>.ctl.svc.<name>`   LevelRequest   (request; reply: LevelReply)
 *                                                 or LevelBatchRequest (one per round and process; reply: LevelBatchReply)
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

/**
 * One partition of a service: the actors of one GPU (which never see another GPU's events), the
 * subjects they listen to and their next timer. A service hosting several GPUs keeps each in its
 * own actor host and names them, so the coordinator can step them independently (lookahead).
 */
export const ServicePartitionSchema = z.object({
  partition: z.number().int().nonnegative(),
  actors: z.array(z.string()),
  patterns: z.array(z.string()),
  nextTimer: OrderKeySchema.nullable(),
  /** The patterns its owned actors listen to (see `HelloSchema.ownedPatterns`). */
  ownedPatterns: z.array(z.string()).optional(),
});

/**
 * A service announces itself: its name, the actors it hosts (owned and shadow) and the subjects they
 * listen to; optionally its partitions (without them, a service is one partition: the one of its
 * actors' GPU, or none when they belong to several).
 */
export const HelloSchema = z.object({
  service: z.string().min(1),
  actors: z.array(z.string()),
  shadows: z.array(z.string()),
  patterns: z.array(z.string()),
  nextTimer: OrderKeySchema.nullable(),
  /**
   * The patterns its owned actors listen to, when its shadows listen to others. An event that
   * matches only its shadows' patterns changes nothing but those shadows — they publish nothing
   * and arm no timer — so the coordinator may hold it back and send it with the service's next
   * request (`LevelRequest.earlier`) instead of in a round of its own. Without it, never.
   */
  ownedPatterns: z.array(z.string()).optional(),
  partitions: z.array(ServicePartitionSchema).optional(),
  /**
   * The service hosts every actor of its partitions (a whole GPU per partition) and can run a
   * partition ahead on its own, up to a bound (`RunAheadRequest`).
   */
  runAhead: z.boolean().optional(),
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
  resume: z
    .object({
      beforeSeq: z.number().int().nonnegative(),
      through: LevelSchema.nullable(),
      /** Events delivered but not logged yet (partitions run ahead of the log), in log order, numbered on from `beforeSeq`. */
      pending: z.array(EnvelopeSchema).optional(),
      /** Per partition (its number as a string): the level through which its timers are fired; `through` for the others. */
      throughByPartition: z.record(z.string(), LevelSchema.nullable()).optional(),
    })
    .optional(),
  log: z.enum(["jetstream", "none"]).optional(),
});
/** A Welcome message. */
export type Welcome = z.infer<typeof WelcomeSchema>;

/**
 * Handle one level of one partition: its events (canonical order; `seq` is provisional — the
 * delivery order, increasing — when partitions run ahead of the log) and where to stop firing timers.
 */
export const LevelRequestSchema = z.object({
  /** Exchange number: a service answers a repeated round (a retried request) from its cache, never twice. */
  round: z.number().int().nonnegative(),
  /** The partition the level is for (a service that named partitions in its Hello); absent: the service's only one. */
  partition: z.number().int().nonnegative().optional(),
  level: LevelSchema,
  events: z.array(EnvelopeSchema),
  stopBefore: OrderKeySchema.nullable(),
  /**
   * Earlier levels' events for the service's shadows only, held back by the coordinator (see
   * `HelloSchema.ownedPatterns`), in level order: handled first, each at its level. They publish
   * nothing and arm no timer; a service that rebuilt from the log skips those its rebuild replayed.
   */
  earlier: z.array(z.object({ level: LevelSchema, events: z.array(EnvelopeSchema) })).optional(),
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

/**
 * Run a closed partition (every actor listening to its subjects is in this service) on its own,
 * level by level, from the given events, until its next level reaches `before` or passes
 * `untilNs`, or one of its actors publishes an event for outside the partition.
 */
export const RunAheadRequestSchema = z.object({
  round: z.number().int().nonnegative(),
  partition: z.number().int().nonnegative(),
  events: z.array(DraftSchema),
  before: LevelSchema.nullable(),
  untilNs: z.number(),
  /** First provisional `seq` for the events the run delivers. */
  seqBase: z.number().int().nonnegative(),
  /** Stop at a level boundary once the events delivered are about this many bytes of JSON (the reply is one message). */
  maxBytes: z.number().int().positive().optional(),
});
/** A RunAheadRequest message. */
export type RunAheadRequest = z.infer<typeof RunAheadRequestSchema>;

/**
 * What a partition run ahead delivered (in order), the drafts left for the coordinator, how far it
 * got and its next timer. With `canonicalLines: true`, the service wrote `delivered` one event per text
 * line of the message — `[`, a newline, then each event's canonical log line (tyrsim's
 * `eventLine`: `JSON.stringify` of the envelope in its key order) followed by `,` and a newline,
 * the last by a newline and `]` — and the coordinator logs those lines as they are, the final
 * `seq` spliced in, instead of making them again. Still plain JSON (the newlines are whitespace).
 */
export const RunAheadReplySchema = z.object({
  delivered: z.array(EnvelopeSchema),
  canonicalLines: z.boolean().optional(),
  left: z.array(DraftSchema),
  reached: LevelSchema.nullable(),
  nextTimer: OrderKeySchema.nullable(),
});
/** A RunAheadReply message. */
export type RunAheadReply = z.infer<typeof RunAheadReplySchema>;
/** A RunAheadReply as the coordinator received it: with the text of its delivered events' canonical lines, when the service wrote them so. */
export type ReceivedRunAhead = RunAheadReply & { readonly lines?: readonly string[] };

/**
 * Several requests to one service process in one message: its partitions' levels of one round
 * (lookahead), and partitions to run ahead. Answered by a `LevelBatchReply` with the replies in the
 * same orders. Sent only to services that named partitions in their Hello.
 */
export const LevelBatchRequestSchema = z.object({ batch: z.array(LevelRequestSchema), ahead: z.array(RunAheadRequestSchema).optional() });
/** A LevelBatchRequest message. */
export type LevelBatchRequest = z.infer<typeof LevelBatchRequestSchema>;

/** The replies to a `LevelBatchRequest`, in its orders. */
export const LevelBatchReplySchema = z.object({ replies: z.array(LevelReplySchema), ahead: z.array(RunAheadReplySchema).optional() });
/** A LevelBatchReply message. */
export type LevelBatchReply = z.infer<typeof LevelBatchReplySchema>;

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
