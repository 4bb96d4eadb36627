import type { NatsConnection } from "@nats-io/transport-node";

/**
 * Close a NATS connection without formatting a stack trace. The client's `close` first records
 * `new Error("close trace").stack` (why the connection closed), and under the TypeScript loader
 * formatting a stack maps every frame through source maps — the loader's inline maps and the
 * client's own `.js.map` files, each parsed on first use: a tenth of a second or more at the end
 * of a run, measured in the coordinator's profile. The trace is taken with no frames instead
 * (`Error.stackTraceLimit` is 0 only while `close` runs to its first await, where the trace is made).
 */
export function closeNats(nc: NatsConnection): Promise<void> {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let closing: Promise<void>;
  try {
    closing = nc.close();
  } finally {
    Error.stackTraceLimit = limit;
  }
  return closing;
}
