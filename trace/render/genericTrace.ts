import type { Envelope } from "../../shared/events/envelope.ts";
import type { TraceContext } from "../traceContext.ts";
import type { TraceArgs } from "../traceEvent.ts";
import { actorTrack, csTrack, csgTrack, gpuOfActor, type TrackRef } from "../traceTracks.ts";
import { asTrack } from "./mmuTrace.ts";
import { driverOf, queueTrack } from "./queueTrace.ts";

/**
 * Types whose name says something went wrong or was forced: they stay in a `compact` trace.
 * Future event types that follow the naming rules (past-tense facts) are covered without a change.
 */
const NOTABLE = /Failed|Rejected|Fault|Crashed|Injected|Armed|Ignored|Lost|TimedOut|Timeout|Hung|Reset|RunEnded/;

/** True for failures, rejections, faults, injections and the end of the run. */
export const isNotable = (type: string): boolean => NOTABLE.test(type);

const MAX_STRING = 96;
const MAX_ITEMS = 16;

/** A payload made fit for a trace's args: long strings (base64 data) and arrays cut short, depth bounded. */
export function summarise(v: unknown, depth = 0): unknown {
  if (typeof v === "string") return v.length > MAX_STRING ? `${v.slice(0, 48)}… (${v.length} chars)` : v;
  if (Array.isArray(v)) {
    const items = v.slice(0, MAX_ITEMS).map((x) => summarise(x, depth + 1));
    return v.length > MAX_ITEMS ? [...items, `… ${v.length - MAX_ITEMS} more`] : items;
  }
  if (v !== null && typeof v === "object") {
    if (depth >= 4) return "{…}";
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, summarise(x, depth + 1)]));
  }
  return v;
}

/** A payload as args: an object's fields, or `{ value }` for anything else. */
export function argsOf(payload: unknown): TraceArgs {
  const s = summarise(payload);
  return s !== null && typeof s === "object" && !Array.isArray(s) ? (s as TraceArgs) : { value: s };
}

const isIndex = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;

/**
 * Where an event without a dedicated rendering goes, from what its payload names: a firmware
 * fact with `csg` (and `cs`) on that CSG slot's (command stream's) track, a driver fact with a
 * `file`, `group` and `queue` on that driver queue's track (queueTrace.ts), another fact with a
 * `queue` (and `group`) on a queue track of its actor's process, a hardware fact with an `as` on
 * that address space's track; an actor failure on the failing actor's track; anything else on
 * its source actor's track.
 */
export function placeOf(ctx: TraceContext, e: Envelope): TrackRef {
  const p = (e.payload ?? {}) as Record<string, unknown>;
  if (e.type === "ActorHandlerFailed" && typeof p.actor === "string") return actorTrack(p.actor);
  const gpu = ctx.gpuOf(e);
  if (gpu !== undefined && isIndex(p.csg)) return isIndex(p.cs) ? csTrack(gpu, p.csg, p.cs) : csgTrack(gpu, p.csg);
  if (isIndex(p.file) && isIndex(p.group) && isIndex(p.queue) && /^drv\d+$/.test(e.source)) return queueTrack(driverOf(e), p.file, p.group, p.queue);
  if (typeof p.queue === "number" || typeof p.queue === "string") {
    const group = typeof p.group === "number" || typeof p.group === "string" ? `group ${p.group} ` : "";
    return { pid: actorTrack(e.source).pid, kind: "queue", name: `${group}queue ${p.queue}` };
  }
  if (gpuOfActor(e.source) !== undefined && gpu !== undefined && isIndex(p.as)) return asTrack(gpu, p.as);
  return actorTrack(e.source);
}

/**
 * The fallback: an instant named by the event type, its payload as args, on the track
 * {@link placeOf} picks. With `compact`, only {@link isNotable} types are drawn.
 */
export function drawGeneric(ctx: TraceContext, e: Envelope, extra: TraceArgs = {}): void {
  const notable = isNotable(e.type);
  if (ctx.compact && !notable) return;
  ctx.instant(placeOf(ctx, e), e.type, notable ? "notable" : "event", { ...argsOf(e.payload), ...extra }, e);
}
