import { Observable, Subject, filter, map } from "rxjs";
import { makeEnvelope, type Envelope } from "../events/envelope.ts";
import type { EventRegistry } from "../events/registry.ts";
import { subjectOf } from "../events/subjects.ts";
import { MessageRejected, SYS_ERROR_PATH } from "../events/systemEvents.ts";
import { decodeMessage, type Rejection } from "../events/validate.ts";
import type { Transport, TransportMessage } from "./transport.ts";

/** Options of an event bus. */
export interface EventBusOptions {
  /** The run whose `sys.error` subject receives rejections. */
  readonly run: string;
  /** Name used as the source of rejection events (the receiving service). */
  readonly service: string;
  /**
   * Trust objects handed over in-process (memory transport) without re-validating them. Text and
   * bytes are always validated: they crossed a process or file boundary.
   */
  readonly trustInProcessObjects?: boolean;
  /**
   * Publish each rejection as a `MessageRejected` event on `sys.error` (default true: a standalone
   * service reports to whoever logs). A runtime that logs rejections itself, in canonical order,
   * turns this off and listens to `rejections$()`.
   */
  readonly publishRejections?: boolean;
}

/**
 * Typed events over a raw transport. Inbound messages are decoded and validated against the
 * registry; a message that fails is dropped, reported as a `MessageRejected` event on
 * `tyrsim.<run>.sys.error`, and the subscription carries on — a bad sender never breaks a receiver.
 */
export class EventBus {
  private readonly rejected$ = new Subject<Rejection>();
  private rejections = 0;

  constructor(
    readonly transport: Transport,
    readonly registry: EventRegistry,
    private readonly opts: EventBusOptions,
  ) {}

  /**
   * Publish an event on its own subject. A caller that already has the event's canonical line
   * (`eventLine(event)`, which is `JSON.stringify(event)`) passes it as `line`, so a transport that
   * sends text does not stringify the event a second time.
   */
  publish(event: Envelope, line?: string): void {
    this.transport.publish(event.subject, this.transport.kind === "memory" ? event : (line ?? JSON.stringify(event)));
  }

  /** Does this bus send events as text (so a caller holding an event's line should pass it to `publish`)? */
  get sendsText(): boolean {
    return this.transport.kind !== "memory";
  }

  /** Validated events on subjects matching `pattern` (full subject pattern, e.g. `tyrsim.r1.gpu0.>`). */
  events(pattern: string): Observable<Envelope> {
    return this.transport.subscribe(pattern).pipe(
      map((m) => this.decode(m)),
      filter((e): e is Envelope => e !== undefined),
    );
  }

  /** Rejections seen by this bus's subscriptions (also published as events). */
  rejections$(): Observable<Rejection> {
    return this.rejected$.asObservable();
  }

  /** Decode one transport message, reporting and dropping it when invalid. */
  decode(m: TransportMessage): Envelope | undefined {
    if (this.opts.trustInProcessObjects === true && typeof m.data === "object" && !(m.data instanceof Uint8Array)) {
      return m.data as Envelope;
    }
    const d = decodeMessage(m.data, m.subject, this.registry);
    if (d.ok) return d.event;
    this.reject(d.rejection);
    return undefined;
  }

  private reject(r: Rejection): void {
    this.rejected$.next(r);
    if (this.opts.publishRejections === false) return;
    // A rejection of a rejection would loop; report those only locally.
    if (r.subject === subjectOf(this.opts.run, SYS_ERROR_PATH)) return;
    const n = this.rejections++;
    const source = `${this.opts.service}.bus`;
    this.publish(
      makeEnvelope({
        id: `${source}:${n}`,
        run: this.opts.run,
        seq: 0,
        timeNs: 0,
        depth: 0,
        source,
        subject: subjectOf(this.opts.run, SYS_ERROR_PATH),
        type: MessageRejected.type,
        cause: null,
        payload: { subject: r.subject, field: r.field, reason: r.reason, excerpt: r.excerpt },
      }),
    );
  }
}
