import { connect, type Msg, type NatsConnection, type Status } from "@nats-io/transport-node";
import { Observable, Subject } from "rxjs";
import { isValidPattern, isValidSubject } from "../events/subjects.ts";
import { ReplyInbox } from "./natsReplyInbox.ts";
import { closeNats } from "./natsClose.ts";
import {
  InvalidSubjectError,
  type RequestOptions,
  type Transport,
  type TransportData,
  type TransportMessage,
  type TransportStatus,
} from "./transport.ts";

/** How to reach NATS and how patiently to wait for it. */
export interface NatsTransportOptions {
  /** One URL or several (`nats://127.0.0.1:4222`, or `127.0.0.1:4222`). */
  readonly servers: string | readonly string[];
  /** Connection name shown by the server's monitoring (`tyrsim-mmu`, `tyrsim-cli`). */
  readonly name: string;
  /**
   * Keep retrying the first connection instead of failing at once (compose start-up ordering).
   * Default true. With no server ever coming up, `connectNatsTransport` then never resolves; pass
   * false where a person is waiting (CLI) to get a `NatsConnectError` instead.
   */
  readonly waitOnFirstConnect?: boolean;
  /** Pause between reconnect attempts, ms (default 250: a restarted server is found quickly). */
  readonly reconnectTimeWaitMs?: number;
  /** Timeout of one connection attempt, ms (default 5000). */
  readonly connectTimeoutMs?: number;
  /** User and password on a server with authorization (default: `natsEnvCredentials()`). */
  readonly user?: string;
  readonly pass?: string;
}

/**
 * Credentials from TYRSIM_NATS_USER / TYRSIM_NATS_PASS, or none (an open server): how every tyrsim
 * process and command logs in to a server with per-user subject permissions (deploy/nats/).
 */
export function natsEnvCredentials(env: NodeJS.ProcessEnv = process.env): { user?: string; pass?: string } {
  const user = env["TYRSIM_NATS_USER"];
  return user !== undefined && user !== "" ? { user, pass: env["TYRSIM_NATS_PASS"] ?? "" } : {};
}

/** The first connection to NATS failed; says which servers were tried and how to get one. */
export class NatsConnectError extends Error {
  override readonly name = "NatsConnectError";
  constructor(readonly servers: readonly string[], options?: { cause?: unknown }) {
    const why = options?.cause instanceof Error ? options.cause.message : String(options?.cause);
    super(
      `cannot connect to NATS at ${servers.join(", ")}: ${why}. ` +
        "Start one with `nats-server -js` (Debian: `sudo apt-get install nats-server`) or set TYRSIM_NATS_URL.",
      options,
    );
  }
}

/** Encode transport data for the wire: text and bytes as they are, objects as JSON text. */
function toPayload(data: TransportData): string | Uint8Array {
  return typeof data === "string" || data instanceof Uint8Array ? data : JSON.stringify(data);
}

/** Map a client status to the transport's vocabulary; undefined for the ones callers need not see. */
function toStatus(s: Status): TransportStatus | undefined {
  switch (s.type) {
    case "disconnect":
      return { kind: "disconnected", detail: s.server };
    case "reconnecting":
      return { kind: "reconnecting" };
    case "reconnect":
      return { kind: "reconnected", detail: s.server };
    default:
      return undefined;
  }
}

/**
 * The `Transport` contract over core NATS, for running services as separate processes. Messages
 * arrive as the bytes sent (`Uint8Array`); objects are published as JSON text. The client
 * reconnects forever and re-subscribes on reconnection, so subscriptions outlive a server restart;
 * publications made while disconnected are buffered by the client and sent on reconnection.
 * Requests share one reply inbox (`ReplyInbox`).
 */
export class NatsTransport implements Transport {
  readonly kind = "nats" as const;
  private readonly status$ = new Subject<TransportStatus>();
  private readonly replies: ReplyInbox;

  /** Wrap an open connection; prefer `connectNatsTransport`, which sets the reconnect policy. */
  constructor(readonly connection: NatsConnection) {
    this.replies = new ReplyInbox(connection);
    void this.pumpStatus();
  }

  private async pumpStatus(): Promise<void> {
    for await (const s of this.connection.status()) {
      const t = toStatus(s);
      if (t !== undefined) this.status$.next(t);
    }
    const why = await this.connection.closed();
    this.replies.close(why instanceof Error ? why.message : "connection closed");
    this.status$.next(why instanceof Error ? { kind: "closed", detail: why.message } : { kind: "closed" });
    this.status$.complete();
  }

  publish(subject: string, data: TransportData): void {
    if (!isValidSubject(subject)) throw new InvalidSubjectError(subject, "publish");
    if (this.connection.isClosed()) return;
    this.connection.publish(subject, toPayload(data));
  }

  subscribe(pattern: string): Observable<TransportMessage> {
    if (!isValidPattern(pattern)) throw new InvalidSubjectError(pattern, "subscribe");
    return new Observable<TransportMessage>((observer) => {
      if (this.connection.isClosed()) {
        observer.complete();
        return undefined;
      }
      const sub = this.connection.subscribe(pattern, {
        callback: (err, msg) => (err !== null ? observer.error(err) : observer.next(this.toMessage(msg))),
      });
      void sub.closed.then(() => observer.complete());
      return () => {
        if (!sub.isClosed() && !this.connection.isClosed()) sub.unsubscribe();
      };
    });
  }

  private toMessage(msg: Msg): TransportMessage {
    const reply = msg.reply !== undefined && msg.reply.length > 0 ? msg.reply : undefined;
    return {
      subject: msg.subject,
      data: msg.data,
      ...(reply !== undefined ? { reply } : {}),
      respond: (answer) => {
        if (reply !== undefined && !this.connection.isClosed()) this.connection.publish(reply, toPayload(answer));
      },
    };
  }

  async request(subject: string, data: TransportData, opts: RequestOptions): Promise<TransportMessage> {
    if (!isValidSubject(subject)) throw new InvalidSubjectError(subject, "request");
    return this.toMessage(await this.replies.request(subject, toPayload(data), opts.timeoutMs));
  }

  flush(): Promise<void> {
    return this.connection.flush();
  }

  status(): Observable<TransportStatus> {
    return this.status$.asObservable();
  }

  async close(): Promise<void> {
    if (!this.connection.isClosed()) await closeNats(this.connection);
  }
}

/**
 * Connect to NATS with tyrsim's reconnect policy: retry forever with a short pause, so a service
 * rides out a server restart and its subscriptions come back by themselves.
 *
 * @example
 * const transport = await connectNatsTransport({ servers: "127.0.0.1:4222", name: "tyrsim-mmu" });
 * const bus = new EventBus(transport, registry, { run: "r1", service: "mmu" });
 */
export async function connectNatsTransport(opts: NatsTransportOptions): Promise<NatsTransport> {
  const servers = typeof opts.servers === "string" ? [opts.servers] : [...opts.servers];
  try {
    const nc = await connect({
      servers,
      name: opts.name,
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: opts.reconnectTimeWaitMs ?? 250,
      reconnectJitter: 50,
      waitOnFirstConnect: opts.waitOnFirstConnect ?? true,
      timeout: opts.connectTimeoutMs ?? 5_000,
      // No stack-trace Error per publish or request: our errors name what failed themselves.
      noAsyncTraces: true,
      ...(opts.user !== undefined ? { user: opts.user, pass: opts.pass ?? "" } : natsEnvCredentials()),
    });
    return new NatsTransport(nc);
  } catch (e) {
    throw new NatsConnectError(servers, { cause: e });
  }
}
