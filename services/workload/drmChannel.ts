/**
 * How a user-space client reaches the DRM device: a request/response over events. The client
 * publishes a request event (its source is the client's name) and waits for the one answer that
 * carries its tag. {@link DrmChannel} is that contract for callers that may block (the embedded
 * runtime runs the simulation until the answer is delivered: {@link embeddedChannel});
 * {@link AsyncDrmChannel} is the same contract for callers that cannot (a client in another
 * process, over NATS: `natsDrmChannel.ts`). The client API (`drmClient.ts`) is written once
 * against both.
 *
 * A request names its answer by data, not by a predicate — the event types that may answer it and
 * the tag they echo — so it can cross a process boundary.
 */
import type { Envelope } from "../../shared/events/envelope.ts";
import type { EventDef, PayloadOf } from "../../shared/events/registry.ts";
import type { Simulation } from "../../shared/runtime/simulation.ts";

/** Which delivered event answers a request: one of `types`, carrying the request's `tag`. */
export interface AnswerSpec {
  readonly types: readonly string[];
  readonly tag: string;
}

/** A request and how to recognise its answer. */
export interface DrmRequest<D extends EventDef = EventDef> {
  readonly def: D;
  readonly path: string;
  readonly payload: PayloadOf<D>;
  readonly answer: AnswerSpec;
}

/** Whether `e` answers a request with `spec`. */
export function isAnswerTo(spec: AnswerSpec, e: Envelope): boolean {
  return spec.types.includes(e.type) && (e.payload as { tag?: unknown } | null)?.tag === spec.tag;
}

/** The transport a blocking client talks through. */
export interface DrmChannel {
  /** The client's name: the source of its requests. */
  readonly client: string;
  /** Send a request and return its answer; throws {@link DrmChannelError} when none comes. */
  request<D extends EventDef>(req: DrmRequest<D>): Envelope;
  /** Let `ns` of virtual time pass (the process sleeps; the device runs). */
  advance(ns: number): void;
  /** Virtual time now (for absolute timeouts such as SYNCOBJ_WAIT's). */
  nowNs(): number;
  /** A fresh tag for a request. */
  nextTag(): string;
}

/** The transport a non-blocking client talks through: {@link DrmChannel} with promises. */
export interface AsyncDrmChannel {
  readonly client: string;
  request<D extends EventDef>(req: DrmRequest<D>): Promise<Envelope>;
  advance(ns: number): Promise<void>;
  /** Virtual time as of the last answer (time does not move between requests of an attached client). */
  nowNs(): number;
  nextTag(): string;
}

/** The device never answered a request within the channel's time limit. */
export class DrmChannelError extends Error {
  override readonly name = "DrmChannelError";
  constructor(readonly client: string, readonly requestType: string, readonly waitedNs: number) {
    super(`${client}: no answer to ${requestType} within ${waitedNs} ns of virtual time (is the device probed? is a wait blocked forever?)`);
  }
}

/** Options of {@link embeddedChannel}. */
export interface EmbeddedChannelOptions {
  /** Longest virtual time to run for one answer (default 60 s). */
  readonly maxWaitNs?: number;
}

/** The default limit of virtual time one request may take before the channel gives up. */
export const DEFAULT_MAX_WAIT_NS = 60_000_000_000;

/**
 * Play one request on a simulation, as a syscall from outside: the request is queued as an input
 * from `client` one nanosecond after the current instant (a syscall is entered after whatever the
 * last one caused has played out, and an input never steps back into an instant already under
 * way), then the simulation runs until the answer is delivered and the rest of that instant has
 * played out. Returns the answer, or undefined when none came within `maxWaitNs` or before
 * `untilNs`. Shared by {@link embeddedChannel} and the NATS client gate, so a session over NATS
 * produces the very log the same session produces in-process.
 */
export function playRequest(
  sim: Simulation,
  client: string,
  req: { readonly type: string; readonly path: string; readonly payload: unknown; readonly answer: AnswerSpec },
  maxWaitNs: number,
  untilNs = Number.POSITIVE_INFINITY,
): Envelope | undefined {
  const start = sim.scheduler.nowNs + 1;
  let answer: Envelope | undefined;
  const sub = sim.delivered().subscribe((e) => {
    if (answer === undefined && isAnswerTo(req.answer, e)) answer = e;
  });
  try {
    sim.inputRaw(client, req.type, req.path, req.payload, start);
    sim.runUntil(() => answer !== undefined, Math.min(start + maxWaitNs, untilNs));
    if (answer !== undefined) sim.runUntil(() => false, sim.scheduler.nowNs);
  } finally {
    sub.unsubscribe();
  }
  return answer;
}

/**
 * A channel on an embedded {@link Simulation} (see {@link playRequest}). The run is not ended (no
 * `RunEnded`): the caller can keep going, or `run` it to its end.
 */
export function embeddedChannel(sim: Simulation, client: string, opts: EmbeddedChannelOptions = {}): DrmChannel & { close(): void } {
  const maxWait = opts.maxWaitNs ?? DEFAULT_MAX_WAIT_NS;
  let tags = 0;
  return {
    client,
    nowNs: () => sim.scheduler.nowNs,
    nextTag: () => `${client}#${tags++}`,
    advance(ns: number): void {
      sim.runUntil(() => false, sim.scheduler.nowNs + ns);
    },
    request<D extends EventDef>(req: DrmRequest<D>): Envelope {
      const start = sim.scheduler.nowNs + 1;
      // The payload as its schema orders it — what a remote client's request becomes after
      // validation — so the log does not depend on where the client runs. An invalid payload is
      // passed as it is: the device must cope with whatever user space sends.
      const parsed = req.def.payload.safeParse(req.payload);
      const payload = parsed.success ? parsed.data : req.payload;
      const answer = playRequest(sim, client, { type: req.def.type, path: req.path, payload, answer: req.answer }, maxWait);
      if (answer === undefined) throw new DrmChannelError(client, req.def.type, sim.scheduler.nowNs - start);
      return answer;
    },
    close: () => {},
  };
}

/** A blocking channel seen through the non-blocking contract (to run one async client script on the embedded runtime). */
export function asAsyncChannel(ch: DrmChannel): AsyncDrmChannel {
  return {
    client: ch.client,
    nowNs: () => ch.nowNs(),
    nextTag: () => ch.nextTag(),
    advance: async (ns) => ch.advance(ns),
    request: async (req) => ch.request(req),
  };
}
