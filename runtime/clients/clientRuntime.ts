/**
 * What the client protocol needs of a runtime, so one protocol server (`clientServer.ts`) drives
 * either the embedded runtime (`Simulation`, synchronous) or the multi-process coordinator
 * (`Coordinator`, whose levels are NATS round trips, so asynchronous).
 */
import type { Envelope } from "../../shared/events/envelope.ts";
import type { AnswerSpec } from "../../services/workload/drmChannel.ts";

/** A validated request, ready to be fed as an input from the client. */
export interface PlayableRequest {
  readonly type: string;
  readonly path: string;
  readonly payload: unknown;
  readonly answer: AnswerSpec;
}

/** A value, or a promise of it (the embedded runtime answers at once, the coordinator later). */
export type MaybePromise<T> = T | Promise<T>;

/** A live run as the client protocol sees it. */
export interface ClientRuntime {
  /** The run id: clients talk on `tyrsim.<run>.ctl.client`. */
  readonly runId: string;
  /** Names a client may not take: the simulation's own sources (input sources, hosted actors). */
  readonly reserved: ReadonlySet<string>;
  /** Virtual time now. */
  nowNs(): number;
  /**
   * Play one request exactly as `playRequest` (`services/workload/drmChannel.ts`) does: an input
   * from `client` at now + 1 ns, levels until the answer is delivered and that instant has played
   * out. Undefined when no answer came within `maxWaitNs` or before `untilNs`.
   */
  play(client: string, req: PlayableRequest, maxWaitNs: number, untilNs: number): MaybePromise<Envelope | undefined>;
  /** Deliver every level at or before `untilNs` without ending the run (a client's `advance`). */
  runTo(untilNs: number): MaybePromise<void>;
}
