/**
 * How a user-space client reaches the DRM device: a request/response over events. The client
 * publishes a request event (its source is the client's name) and waits for the one answer that
 * carries its tag. {@link DrmChannel} is that contract; {@link embeddedChannel} implements it on
 * the embedded runtime by running the simulation until the answer is delivered — a NATS channel
 * (publish on `tyrsim.<run>.fault.inject` with a path, subscribe to the `.done` subjects) fits the
 * same shape.
 */
import type { Subscription } from "rxjs";
import type { Envelope } from "../../shared/events/envelope.ts";
import type { EventDef, PayloadOf } from "../../shared/events/registry.ts";
import type { Simulation } from "../../shared/runtime/simulation.ts";

/** A request and how to recognise its answer. */
export interface DrmRequest<D extends EventDef = EventDef> {
  readonly def: D;
  readonly path: string;
  readonly payload: PayloadOf<D>;
  /** True for the answer to this request. */
  readonly isAnswer: (e: Envelope) => boolean;
}

/** The transport a client talks through. */
export interface DrmChannel {
  /** The client's name: the source of its requests. */
  readonly client: string;
  /** Send a request and return its answer; throws {@link DrmChannelError} when none comes. */
  request<D extends EventDef>(req: DrmRequest<D>): Envelope;
  /** Virtual time now (for absolute timeouts such as SYNCOBJ_WAIT's). */
  nowNs(): number;
  /** A fresh tag for a request. */
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

/**
 * A channel on an embedded {@link Simulation}: the request is queued as an input from `client`
 * one nanosecond after the current instant (a syscall is entered after whatever the last one
 * caused has played out, and an input never steps back into an instant already under way), then
 * the simulation runs until the answer is delivered and the rest of that instant has played out.
 * The run is not ended (no `RunEnded`): the caller can keep going, or `run` it to its end.
 */
export function embeddedChannel(sim: Simulation, client: string, opts: EmbeddedChannelOptions = {}): DrmChannel & { close(): void } {
  const maxWait = opts.maxWaitNs ?? 60_000_000_000;
  let tags = 0;
  let pending: { isAnswer: (e: Envelope) => boolean; answer?: Envelope } | undefined;
  const sub: Subscription = sim.delivered().subscribe((e) => {
    if (pending !== undefined && pending.answer === undefined && pending.isAnswer(e)) pending.answer = e;
  });
  return {
    client,
    nowNs: () => sim.scheduler.nowNs,
    nextTag: () => `${client}#${tags++}`,
    request<D extends EventDef>(req: DrmRequest<D>): Envelope {
      const start = sim.scheduler.nowNs + 1;
      const p: { isAnswer: (e: Envelope) => boolean; answer?: Envelope } = { isAnswer: req.isAnswer };
      pending = p;
      sim.input(client, req.def, req.path, req.payload, start);
      sim.runUntil(() => p.answer !== undefined, start + maxWait);
      pending = undefined;
      if (p.answer === undefined) throw new DrmChannelError(client, req.def.type, sim.scheduler.nowNs - start);
      sim.runUntil(() => false, sim.scheduler.nowNs);
      return p.answer;
    },
    close: () => sub.unsubscribe(),
  };
}
