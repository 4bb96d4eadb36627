import type { Envelope } from "../shared/events/envelope.ts";
import type { TraceContext } from "./traceContext.ts";
import type { TraceArgs } from "./traceEvent.ts";
import type { Pending } from "./traceQueue.ts";
import type { TrackRef } from "./traceTracks.ts";

interface Current {
  readonly slice: Pending;
  readonly state: string;
  readonly argsKey: string;
}

/**
 * Tracks that show a state machine as back-to-back slices — a power domain `off`, `powering up`,
 * `on`, a clock `enabled`/`gated`, a CSG slot `running`: each change ends the current slice and
 * begins the next at the same time, so the track is a timeline of states. Only the current slice
 * of each track is held.
 */
export class StateTracks {
  private readonly current = new Map<string, Current>();

  constructor(private readonly ctx: TraceContext) {}

  /**
   * Enter `state` (with `args`) on `where` because of `of`; `undefined` leaves the track empty.
   * Re-entering the same state with the same args keeps the slice (and makes it stand for `of`).
   * Returns the slice standing for `of`, if any.
   */
  set(where: TrackRef, state: string | undefined, cat: string, args: TraceArgs, of: Envelope): Pending | undefined {
    const key = `${where.pid}/${where.kind}/${where.name}`;
    const cur = this.current.get(key);
    const argsKey = JSON.stringify(args);
    if (cur !== undefined && cur.state === state && cur.argsKey === argsKey) {
      this.ctx.alias(of, cur.slice);
      return cur.slice;
    }
    if (cur !== undefined) {
      this.ctx.end(cur.slice);
      this.current.delete(key);
    }
    if (state === undefined) return undefined;
    const slice = this.ctx.begin(where, state, cat, args, of);
    this.current.set(key, { slice, state, argsKey });
    return slice;
  }

  /** The state a track is in, if any. */
  stateOf(where: TrackRef): string | undefined {
    return this.current.get(`${where.pid}/${where.kind}/${where.name}`)?.state;
  }

  /** End every state at the end of the log, marked unfinished. */
  finish(): void {
    for (const cur of this.current.values()) this.ctx.end(cur.slice, { unfinished: true });
    this.current.clear();
  }
}
