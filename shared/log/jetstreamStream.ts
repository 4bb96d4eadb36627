import {
  jetstreamManager,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { InvalidSubjectError } from "../bus/transport.ts";
import { NatsConnectError, natsEnvCredentials } from "../bus/natsTransport.ts";
import { isValidSubject } from "../events/subjects.ts";
import { closeNats } from "../bus/natsClose.ts";

/** The one JetStream stream holding every run's log. */
export const LOG_STREAM = "TYRSIM_LOG";
/** Root token of log subjects; one subject per run, `tyrsimlog.<run>` (apart from live `tyrsim.>` traffic). */
export const LOG_SUBJECT_ROOT = "tyrsimlog";
/** NATS header naming what a log message holds (`Nats-*` names are JetStream's own). */
export const KIND_HEADER = "Tyrsim-Kind";

/** What a log message holds: the run header (first message of a run) or one event. */
export const LogRecordKind = { Header: "header", Event: "event", Events: "events" } as const;
/** `header`, `event` (one event line) or `events` (several event lines, consecutive in `seq`, joined by newlines). */
export type LogRecordKind = (typeof LogRecordKind)[keyof typeof LogRecordKind];

/** The stream tyrsim asks for: file storage, every log subject, limits retention (logs are kept). */
export const LOG_STREAM_CONFIG = {
  name: LOG_STREAM,
  subjects: [`${LOG_SUBJECT_ROOT}.>`],
  storage: StorageType.File,
  retention: RetentionPolicy.Limits,
} as const satisfies Partial<StreamConfig>;

/** The existing stream (or what the server made of our request) differs from what tyrsim needs. */
export class JetStreamLogConfigError extends Error {
  override readonly name = "JetStreamLogConfigError";
  constructor(readonly stream: string, readonly field: string, readonly requested: unknown, readonly actual: unknown) {
    super(
      `JetStream stream '${stream}' has ${field} ${JSON.stringify(actual)} but tyrsim needs ${JSON.stringify(requested)}; ` +
        `delete or fix the stream (\`nats stream info ${stream}\`) or use another server`,
    );
  }
}

/** Is `e` JetStream's "stream not found" (the client's public API exports no class for it)? */
export function isStreamNotFound(e: unknown): boolean {
  return e instanceof JetStreamApiError && e.code === JetStreamApiCodes.StreamNotFound;
}

/** The log subject of a run; throws `InvalidSubjectError` when the run id is not one subject token. */
export function logSubjectOf(run: string, operation: "publish" | "subscribe"): string {
  const subject = `${LOG_SUBJECT_ROOT}.${run}`;
  if (run.includes(".") || !isValidSubject(subject)) throw new InvalidSubjectError(subject, operation);
  return subject;
}

/**
 * Check the stream the server reports against the request. Server 2.9 silently drops settings it
 * does not know, so an accepted request is not proof that the stream is what we asked for.
 */
export function verifyLogStream(info: StreamInfo): void {
  const c = info.config;
  const [subject] = LOG_STREAM_CONFIG.subjects;
  if (!(c.subjects ?? []).includes(subject)) throw new JetStreamLogConfigError(LOG_STREAM, "subjects", [subject], c.subjects);
  if (c.storage !== LOG_STREAM_CONFIG.storage) throw new JetStreamLogConfigError(LOG_STREAM, "storage", LOG_STREAM_CONFIG.storage, c.storage);
  if (!(c.duplicate_window > 0)) throw new JetStreamLogConfigError(LOG_STREAM, "duplicate_window", "> 0 (dedupe by msgID)", c.duplicate_window);
}

/** Create the log stream if it does not exist, then verify what the server reports. */
export async function ensureLogStream(jsm: JetStreamManager): Promise<StreamInfo> {
  let info: StreamInfo;
  try {
    info = await jsm.streams.info(LOG_STREAM);
  } catch (e) {
    if (!isStreamNotFound(e)) throw e;
    try {
      info = await jsm.streams.add({ ...LOG_STREAM_CONFIG, subjects: [...LOG_STREAM_CONFIG.subjects] });
    } catch (addError) {
      // Another writer may have created it between our info and add; its config is checked below.
      if (!(addError instanceof JetStreamApiError)) throw addError;
      info = await jsm.streams.info(LOG_STREAM);
    }
  }
  verifyLogStream(info);
  return info;
}

/** A NATS connection for the log, and whether closing it is ours to do. */
export interface LogConnection {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  /** Close the connection if this module opened it; leave a caller's connection open. */
  release(): Promise<void>;
}

/** Use the caller's connection, or open one to `url` (failing fast: a person is waiting). */
export async function openLogConnection(target: NatsConnection | string, name: string): Promise<LogConnection> {
  let nc: NatsConnection;
  if (typeof target === "string") {
    try {
      // noAsyncTraces: no stack-trace Error made per publish and request (the log's batches are many).
      nc = await connect({ servers: target, name, waitOnFirstConnect: false, maxReconnectAttempts: -1, reconnectTimeWait: 250, noAsyncTraces: true, ...natsEnvCredentials() });
    } catch (e) {
      throw new NatsConnectError([target], { cause: e });
    }
  } else {
    nc = target;
  }
  const owned = typeof target === "string";
  try {
    return {
      nc,
      jsm: await jetstreamManager(nc),
      release: async () => {
        if (owned && !nc.isClosed()) await closeNats(nc);
      },
    };
  } catch (e) {
    if (owned) await closeNats(nc);
    throw e;
  }
}
