import type { Envelope } from "../../shared/events/envelope.ts";

/**
 * How one family of log events is drawn: the types it owns, a draw function called for each such
 * event in log order (its payload already checked against the type's schema), an optional tick
 * called when virtual time is about to move past the current instant (still at that instant), and
 * a finish called once at the end of the log to close what is still open.
 */
export interface Renderer {
  readonly types: readonly string[];
  draw(e: Envelope): void;
  tick?(): void;
  finish(): void;
}
