import { createInbox, type Msg, type NatsConnection, type Payload, type Subscription } from "@nats-io/transport-node";
import { NoRespondersError, RequestTimeoutError } from "./transport.ts";

/** A request waiting for its reply. */
interface Waiting {
  readonly subject: string;
  readonly resolve: (msg: Msg) => void;
  readonly reject: (error: unknown) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** The connection closed while requests were waiting for their replies. */
export class RequestAbandonedError extends Error {
  override readonly name = "RequestAbandonedError";
  constructor(readonly subject: string, why: string) {
    super(`request on '${subject}' abandoned: ${why}`);
  }
}

/**
 * Request/reply over one NATS connection through a single wildcard inbox subscription: each
 * request publishes with a reply subject `<inbox>.<token>` and waits in a map for the message on
 * it. This is what the client's own request does, without its per-request error objects (made
 * for async stack traces, and one more for every request it settles: tens of microseconds each),
 * which the coordinator, sending a few requests every round of a run, paid for in every round.
 * No responders (the server's 503 status on the reply subject) and timeouts reject with the
 * transport's errors.
 */
export class ReplyInbox {
  private readonly prefix = `${createInbox()}.`;
  private readonly waiting = new Map<string, Waiting>();
  private sub: Subscription | undefined;
  private next = 0;

  constructor(private readonly connection: NatsConnection) {}

  /** Publish `payload` on `subject` and resolve with the first reply, or reject after `timeoutMs`. */
  request(subject: string, payload: Payload, timeoutMs: number): Promise<Msg> {
    this.sub ??= this.connection.subscribe(`${this.prefix}*`, { callback: (err, msg) => this.dispatch(err, msg) });
    const token = (this.next++).toString(36);
    return new Promise<Msg>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(token);
        reject(new RequestTimeoutError(subject, timeoutMs));
      }, timeoutMs);
      this.waiting.set(token, { subject, resolve, reject, timer });
      try {
        this.connection.publish(subject, payload, { reply: this.prefix + token });
      } catch (e) {
        this.settle(token)?.reject(e);
      }
    });
  }

  /** Reject every waiting request (the connection is closed: no reply can come). */
  close(why: string): void {
    for (const token of [...this.waiting.keys()]) {
      const w = this.settle(token);
      w?.reject(new RequestAbandonedError(w.subject, why));
    }
  }

  private dispatch(err: Error | null, msg: Msg): void {
    if (err !== null) {
      // The inbox subscription itself failed (say, a permission violation): no request can be answered.
      for (const token of [...this.waiting.keys()]) this.settle(token)?.reject(err);
      this.sub = undefined;
      return;
    }
    const w = this.settle(msg.subject.slice(this.prefix.length));
    if (w === undefined) return;
    if (msg.data.length === 0 && msg.headers?.code === 503) w.reject(new NoRespondersError(w.subject));
    else w.resolve(msg);
  }

  /** Stop waiting for `token`'s reply; its request, if it was still waiting. */
  private settle(token: string): Waiting | undefined {
    const w = this.waiting.get(token);
    if (w === undefined) return undefined;
    this.waiting.delete(token);
    clearTimeout(w.timer);
    return w;
  }
}
