import type { Envelope } from "../../shared/events/envelope.ts";
import type { ActorHost } from "../../shared/runtime/actorHost.ts";
import { levelOf, type Level } from "../../shared/runtime/level.ts";

/** Is level `a` before level `b` in the canonical order? */
const levelBefore = (a: Level, b: Level): boolean => a.timeNs < b.timeNs || (a.timeNs === b.timeNs && a.depth < b.depth);

/** Where a rebuilt host's own output first differed from the log's record of it. */
export interface HostRebuildDivergence {
  readonly id: string;
  readonly expected: string;
  readonly actual: string;
}

/**
 * Bring a freshly built actor host (a restarted service process: same world, same seed, hence
 * the same PRNG streams) to the state its predecessor had, from the run's log. The log is fed in
 * order (`feed`); it is cut into levels, and each level is handed to the host as the coordinator
 * would have — the host's own timers of earlier levels fired first, by themselves, as they were
 * — so every actor sees the same events and timers at the same virtual times. What the actors
 * publish again is not delivered (the log has it) but checked against the log's record of their
 * events (id, type, payload), so a rebuild that does not reproduce the service is reported, not
 * trusted. The idea of `shared/runtime/rebuildActor.ts`, for a whole host and its timers.
 *
 * @example
 * const rebuild = new HostRebuild(host, owned);
 * for await (const e of log.events()) if (e.seq < resume.beforeSeq) rebuild.feed(e);
 * const { divergence } = rebuild.finish(resume.through);
 */
export class HostRebuild {
  private level: Level | undefined;
  private batch: Envelope[] = [];
  /** Publications of the rebuilt actors not yet matched with the log (their fingerprints). */
  private readonly republished = new Map<string, string>();
  private divergence: HostRebuildDivergence | undefined;
  /** Events fed. */
  events = 0;

  constructor(
    private readonly host: ActorHost,
    owned: readonly string[],
    private readonly ownedSet: ReadonlySet<string> = new Set(owned),
  ) {}

  /** The next logged event, in log order. */
  feed(e: Envelope): void {
    this.events++;
    if (this.level !== undefined && (this.level.timeNs !== e.timeNs || this.level.depth !== e.depth)) this.flush();
    if (this.level === undefined) {
      const level = { timeNs: e.timeNs, depth: e.depth };
      // The host's own timer levels before this one went first, with no events, as they did.
      this.fireTimers((l) => levelBefore(l, level));
      this.level = level;
    }
    this.batch.push(e);
    if (this.ownedSet.has(e.source)) this.check(e);
  }

  /** The log is fed up to the resume point: fire the host's timers through `through` and report. */
  finish(through: Level | null): { readonly events: number; readonly divergence?: HostRebuildDivergence } {
    if (this.level !== undefined) this.flush();
    if (through !== null) this.fireTimers((l) => !levelBefore(through, l));
    return { events: this.events, ...(this.divergence !== undefined ? { divergence: this.divergence } : {}) };
  }

  private flush(): void {
    this.record(this.host.runLevel(this.level as Level, this.batch));
    this.level = undefined;
    this.batch = [];
  }

  /** Fire the host's timer levels while `due(level)`, each level as a request with no events. */
  private fireTimers(due: (l: Level) => boolean): void {
    for (let t = this.host.nextTimerKey(); t !== undefined && due(levelOf(t)); t = this.host.nextTimerKey()) {
      this.record(this.host.runLevel(levelOf(t), []));
    }
  }

  private record(drafts: readonly { id: string; type: string; payload: unknown }[]): void {
    for (const d of drafts) this.republished.set(d.id, fingerprint(d));
  }

  private check(e: Envelope): void {
    if (this.divergence !== undefined) return;
    const mine = this.republished.get(e.id);
    const expected = fingerprint(e);
    if (mine === undefined) this.divergence = { id: e.id, expected, actual: "(the rebuilt actors did not publish it)" };
    else if (mine !== expected) this.divergence = { id: e.id, expected, actual: mine };
    this.republished.delete(e.id);
  }
}

function fingerprint(x: { id: string; type: string; payload: unknown }): string {
  return JSON.stringify({ id: x.id, type: x.type, payload: x.payload });
}
