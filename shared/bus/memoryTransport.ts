import { Observable, Subject } from "rxjs";
import { isValidPattern, isValidSubject, matchSubject } from "../events/subjects.ts";
import {
  InvalidSubjectError,
  NoRespondersError,
  RequestTimeoutError,
  type RequestOptions,
  type Transport,
  type TransportData,
  type TransportMessage,
  type TransportStatus,
} from "./transport.ts";

interface Sub {
  readonly pattern: string;
  readonly deliver: (m: TransportMessage) => void;
}

/**
 * The embedded default: an in-process bus with NATS subject semantics. Delivery is synchronous but
 * never re-entrant: a publish made while a message is being delivered is queued behind it, so every
 * subscription sees messages in publication order. Matching results are cached per subject.
 */
export class MemoryTransport implements Transport {
  readonly kind = "memory" as const;
  private subs: Sub[] = [];
  private readonly cache = new Map<string, Sub[]>();
  private readonly queue: { subject: string; msg: TransportMessage }[] = [];
  private draining = false;
  private closed = false;
  private inbox = 0;
  private readonly status$ = new Subject<TransportStatus>();

  publish(subject: string, data: TransportData): void {
    this.send(subject, data, undefined);
  }

  private send(subject: string, data: TransportData, reply: string | undefined): void {
    // A subject in the match cache was validated when it was first seen.
    if (!this.cache.has(subject) && !isValidSubject(subject)) throw new InvalidSubjectError(subject, "publish");
    if (this.closed) return;
    const msg: TransportMessage = {
      subject,
      data,
      ...(reply !== undefined ? { reply } : {}),
      respond: (answer) => {
        if (reply !== undefined) this.send(reply, answer, undefined);
      },
    };
    this.queue.push({ subject, msg });
    if (this.draining) return;
    this.draining = true;
    try {
      for (let item = this.queue.shift(); item !== undefined; item = this.queue.shift()) {
        for (const s of this.matching(item.subject)) s.deliver(item.msg);
      }
    } finally {
      this.draining = false;
    }
  }

  private matching(subject: string): Sub[] {
    let list = this.cache.get(subject);
    if (list === undefined) {
      list = this.subs.filter((s) => matchSubject(s.pattern, subject));
      this.cache.set(subject, list);
    }
    return list;
  }

  subscribe(pattern: string): Observable<TransportMessage> {
    if (!isValidPattern(pattern)) throw new InvalidSubjectError(pattern, "subscribe");
    return new Observable<TransportMessage>((observer) => {
      const sub: Sub = { pattern, deliver: (m) => observer.next(m) };
      this.subs = [...this.subs, sub];
      this.cache.clear();
      return () => {
        this.subs = this.subs.filter((s) => s !== sub);
        this.cache.clear();
      };
    });
  }

  request(subject: string, data: TransportData, opts: RequestOptions): Promise<TransportMessage> {
    if (!isValidSubject(subject)) return Promise.reject(new InvalidSubjectError(subject, "request"));
    if (this.matching(subject).length === 0) return Promise.reject(new NoRespondersError(subject));
    const reply = `_INBOX.memory.${++this.inbox}`;
    return new Promise((resolve, reject) => {
      // A request timeout is the caller's wall-clock patience (CLI, tests), never simulation time:
      // actors talk in events, not requests.
      // eslint-disable-next-line no-restricted-globals
      const timer = setTimeout(() => {
        sub.unsubscribe();
        reject(new RequestTimeoutError(subject, opts.timeoutMs));
      }, opts.timeoutMs);
      const sub = this.subscribe(reply).subscribe((m) => {
        clearTimeout(timer);
        sub.unsubscribe();
        resolve(m);
      });
      this.send(subject, data, reply);
    });
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  status(): Observable<TransportStatus> {
    return this.status$.asObservable();
  }

  close(): Promise<void> {
    this.closed = true;
    this.subs = [];
    this.cache.clear();
    this.status$.next({ kind: "closed" });
    this.status$.complete();
    return Promise.resolve();
  }
}
