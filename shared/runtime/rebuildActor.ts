import type { ActorSpec } from "../actor/actor.ts";
import { parseEventId, type Envelope } from "../events/envelope.ts";
import { matchSubject, subjectOf } from "../events/subjects.ts";
import { createPrng } from "../random/prng.ts";
import { Scheduler } from "../time/scheduler.ts";
import type { Draft } from "./draft.ts";
import { HostedActor } from "./hostedActor.ts";

/** Where a rebuilt actor's own output first differed from what the log says it published. */
export interface RebuildDivergence {
  readonly expected: string;
  readonly actual: string;
}

/** A rebuilt actor: its behaviour (state restored) and the check of its output against the log. */
export interface RebuiltActor {
  readonly actor: HostedActor;
  /** Events of the log fed to the actor. */
  readonly delivered: number;
  /** Publications the actor made again while rebuilding, all matched against the log. */
  readonly republished: number;
  readonly divergence?: RebuildDivergence;
}

/**
 * Rebuild one actor's state from a log, as a restarted service does: the actor is created afresh
 * with its PRNG stream, fed every logged event on its subjects in log order with virtual time
 * following the log, and its own timers fire at their canonical places in between. What it
 * publishes again is not delivered (the log already holds it) but compared with the log's record
 * of that actor's events, so a rebuild that does not reproduce the actor is detected, not trusted.
 */
export function rebuildActor(spec: ActorSpec, run: string, seed: number, log: Iterable<Envelope>, untilSeq = Number.POSITIVE_INFINITY): RebuiltActor {
  const scheduler = new Scheduler();
  const patterns = spec.subscribes.map((p) => subjectOf(run, p));
  // The actor publishes before the log shows the event (delivery comes later in canonical order),
  // so its drafts wait here until the log's copy is read, and are compared then.
  const pending: Draft[] = [];
  let republished = 0;
  let divergence: RebuildDivergence | undefined;
  const fingerprint = (x: { id: string; timeNs: number; type: string; payload: unknown }) =>
    JSON.stringify({ id: x.id, timeNs: x.timeNs, type: x.type, payload: x.payload });
  const compare = (logged: Envelope) => {
    if (divergence !== undefined) return;
    const draft = pending.shift();
    const expected = fingerprint(logged);
    if (draft === undefined) divergence = { expected, actual: "(the rebuilt actor did not publish it)" };
    else if (fingerprint(draft) !== expected) divergence = { expected, actual: fingerprint(draft) };
    else republished++;
  };
  const actor = new HostedActor(spec, createPrng(seed).split(spec.name), {
    run,
    nowNs: () => scheduler.nowNs,
    enqueueEvent: (d) => pending.push(d),
    enqueueTimer: (key, fire, live) => scheduler.schedule({ ...key, fire, live }),
    subject: (path) => subjectOf(run, path),
    reportFailure: (_a, cause, error) => {
      divergence ??= { expected: "(no failure)", actual: `handler failed on ${cause}: ${error}` };
    },
  });
  let delivered = 0;
  for (const e of log) {
    if (e.seq > untilSeq) break;
    const { source, n } = parseEventId(e.id);
    const key = { timeNs: e.timeNs, depth: e.depth, source, n };
    while (scheduler.stepBefore(key));
    scheduler.advanceTo(e.timeNs);
    if (e.source === spec.name) compare(e);
    if (patterns.some((p) => matchSubject(p, e.subject))) {
      actor.deliver(e);
      delivered++;
    }
  }
  return { actor, delivered, republished, ...(divergence !== undefined ? { divergence } : {}) };
}
