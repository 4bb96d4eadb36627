import type { Observable } from "rxjs";

/**
 * What a transport carries: JSON text or bytes from the wire, or (in-process only) an object that
 * is handed over as it is, saving a serialise/parse round trip inside one process.
 */
export type TransportData = string | Uint8Array | object;

/** One delivered message: its subject, its raw data, and a way to answer a request. */
export interface TransportMessage {
  readonly subject: string;
  readonly data: TransportData;
  /** Present when the sender awaits a reply. */
  readonly reply?: string;
  /** Answer a request; a no-op when the message carries no reply subject. */
  respond(data: TransportData): void;
}

/** Connection state changes a transport reports (NATS disconnects and reconnects; memory never does). */
export type TransportStatus = { readonly kind: "disconnected" | "reconnecting" | "reconnected" | "closed"; readonly detail?: string };

/** Options for a request: how long to wait for an answer, in wall-clock milliseconds (I/O shell). */
export interface RequestOptions {
  readonly timeoutMs: number;
}

/**
 * The raw pub/sub contract both the in-memory bus and NATS implement. Subjects follow NATS rules
 * (`*` one token, `>` the tail). Per subscription, messages arrive in publication order.
 */
export interface Transport {
  /** `memory` or `nats`, for messages and test names. */
  readonly kind: "memory" | "nats";
  /** Publish data on a subject (no wildcards). Throws `InvalidSubjectError` for a bad subject. */
  publish(subject: string, data: TransportData): void;
  /** Messages on subjects matching `pattern`; unsubscribing stops delivery. */
  subscribe(pattern: string): Observable<TransportMessage>;
  /** Send a request and resolve with the first reply; rejects with `NoRespondersError` or `RequestTimeoutError`. */
  request(subject: string, data: TransportData, opts: RequestOptions): Promise<TransportMessage>;
  /** Resolve once everything published so far has reached the server (memory: immediately). */
  flush(): Promise<void>;
  /** Connection status changes. */
  status(): Observable<TransportStatus>;
  /** Close; pending subscriptions complete. */
  close(): Promise<void>;
}

/** A publish or subscribe named a subject that NATS would refuse. */
export class InvalidSubjectError extends Error {
  override readonly name = "InvalidSubjectError";
  constructor(readonly subject: string, readonly operation: "publish" | "subscribe" | "request") {
    super(`invalid subject '${subject}' for ${operation}`);
  }
}

/** A request found nobody subscribed to its subject. */
export class NoRespondersError extends Error {
  override readonly name = "NoRespondersError";
  constructor(readonly subject: string, options?: { cause?: unknown }) {
    super(`no responders on '${subject}'`, options);
  }
}

/** A request got no answer in time. */
export class RequestTimeoutError extends Error {
  override readonly name = "RequestTimeoutError";
  constructor(readonly subject: string, readonly timeoutMs: number, options?: { cause?: unknown }) {
    super(`request on '${subject}' timed out after ${timeoutMs} ms`, options);
  }
}
