import type { Envelope } from "../shared/events/envelope.ts";
import type { EventRegistry } from "../shared/events/registry.ts";
import { pathOf } from "../shared/events/subjects.ts";
import type { LogHeader } from "../shared/log/logFormat.ts";
import { INPUT_SOURCES } from "../shared/runtime/simulation.ts";
import { createCatalogue } from "../services/catalogue.ts";
import { firmwareRenderer } from "./render/firmwareTrace.ts";
import { frameRenderer } from "./render/frameTrace.ts";
import { argsOf, drawGeneric } from "./render/genericTrace.ts";
import { jobRenderer } from "./render/jobTrace.ts";
import { memoryRenderer } from "./render/memoryTrace.ts";
import { mmuRenderer } from "./render/mmuTrace.ts";
import { powerRenderer } from "./render/powerTrace.ts";
import { probeRenderer } from "./render/probeTrace.ts";
import { queueRenderer } from "./render/queueTrace.ts";
import { regsRenderer } from "./render/regsTrace.ts";
import { resetRenderer } from "./render/resetTrace.ts";
import type { Renderer } from "./render/renderer.ts";
import { TraceContext } from "./traceContext.ts";
import type { TraceEvent } from "./traceEvent.ts";
import { TraceQueue } from "./traceQueue.ts";
import { HOST_PID, TrackTable, actorTrack } from "./traceTracks.ts";

/** How many trace events back a cause flow can reach (see TraceQueue). */
export const DEFAULT_FLOW_WINDOW = 4096;

/** Options of a trace. */
export interface TraceOptions {
  /** The log's header: names the GPU processes after the model. */
  readonly header?: LogHeader;
  /** Leave out register accesses and generic instants; slices, counters, faults and inputs stay. */
  readonly compact?: boolean;
  /** Trace events a cause flow can reach back (default {@link DEFAULT_FLOW_WINDOW}). */
  readonly flowWindow?: number;
  /** Event schemas payloads are checked against before rendering (default: the catalogue). */
  readonly registry?: EventRegistry;
}

/** What a finished trace holds. */
export interface TraceSummary {
  readonly logEvents: number;
  readonly traceEvents: number;
  readonly causeFlows: number;
  /** Virtual time of the last log event, ns. */
  readonly endNs: number;
}

/** A trace being built: log events in, in log order; trace events out through the `emit` callback. */
export interface TraceBuilder {
  push(e: Envelope): void;
  /** Close every open slice at the last event's time (`args.unfinished: true`) and write the rest. */
  finish(): TraceSummary;
}

const processName = (header: LogHeader | undefined) => (pid: number): string =>
  pid === HOST_PID ? "host: driver, userspace, inputs" : `gpu${pid - 2}${header !== undefined ? ` (${header.model})` : ""}`;

/**
 * A streaming Perfetto trace of a log: each log event is drawn by the renderer of its type (power,
 * jobs, MMU, registers, probe, firmware, memory, driver queues, device resets, frames) or, failing that, as a generic instant on its
 * actor's track; inputs (scenario and injector events) are instants on the `scenario`/`injector`
 * tracks as well. Holds only open slices, per-track state and a bounded window of trace events
 * (for cause flows), never the log; the same log gives the same trace events in the same order.
 *
 * @example
 * const b = createTraceBuilder((ev) => events.push(ev), { header });
 * for (const e of reader) b.push(e);
 * b.finish();
 */
export function createTraceBuilder(emit: (e: TraceEvent) => void, opts: TraceOptions = {}): TraceBuilder {
  const queue = new TraceQueue(emit, opts.flowWindow ?? DEFAULT_FLOW_WINDOW);
  const ctx = new TraceContext(queue, new TrackTable(queue, processName(opts.header)), opts.compact ?? false);
  const renderers: Renderer[] = [
    powerRenderer, jobRenderer, mmuRenderer, regsRenderer, probeRenderer, firmwareRenderer, memoryRenderer, queueRenderer, resetRenderer, frameRenderer,
  ].map((r) => r(ctx));
  const byType = new Map(renderers.flatMap((r) => r.types.map((t) => [t, r] as const)));
  const registry = opts.registry ?? createCatalogue();
  let logEvents = 0;

  return {
    push(e) {
      logEvents++;
      if (e.timeNs > ctx.nowNs) for (const r of renderers) r.tick?.();
      ctx.nowNs = Math.max(ctx.nowNs, e.timeNs);
      queue.advance(ctx.nowNs);
      const input = e.source === INPUT_SOURCES.scenario || e.source === INPUT_SOURCES.injector;
      if (input) ctx.instant(actorTrack(e.source), e.type, "input", { path: pathOf(e.subject) ?? e.subject, ...argsOf(e.payload) }, e);
      const def = registry.get(e.type);
      const checked = def?.payload.safeParse(e.payload);
      if (checked?.success === false) {
        const issue = checked.error.issues[0];
        return drawGeneric(ctx, e, { invalidPayload: `${issue?.path.join(".") ?? "?"}: ${issue?.message ?? "invalid"}` });
      }
      const renderer = def === undefined ? undefined : byType.get(e.type);
      if (renderer !== undefined) renderer.draw(e);
      else if (!input) drawGeneric(ctx, e);
    },
    finish() {
      for (const r of renderers) r.tick?.();
      for (const r of renderers) r.finish();
      queue.flushAll();
      return { logEvents, traceEvents: queue.written, causeFlows: queue.flows, endNs: ctx.nowNs };
    },
  };
}
