import type { Envelope } from "../../shared/events/envelope.ts";
import { pathOf } from "../../shared/events/subjects.ts";

/**
 * How a report names an event of the log: its position (`seq`), its id (`<source>:<n>`, what
 * `cause` fields point at), its type and virtual time — enough to find it with
 * `tyrsim tail <log>` or `tyrsim replay --until <seq>`.
 */
export interface EventRef {
  readonly seq: number;
  readonly id: string;
  readonly type: string;
  readonly timeNs: number;
}

/** The reference of an event. */
export function refOf(e: Envelope): EventRef {
  return { seq: e.seq, id: e.id, type: e.type, timeNs: e.timeNs };
}

/** `#212 TranslationRequested (gpu0.shader:17)`: an event reference as a report prints it. */
export function formatRef(r: EventRef): string {
  return `#${r.seq} ${r.type} (${r.id})`;
}

/** The event `gpuOf` answered last, and its answer. */
let lastEvent: Envelope | undefined;
let lastGpu: number | undefined;

/**
 * The GPU an event is about: the `gpu<N>` or `drv<N>` at the head of its subject path, else a
 * `gpu` field of its payload (fault events, firmware facts), else undefined (inputs on
 * `fault.inject` without one, runtime events).
 */
export function gpuOf(e: Envelope): number | undefined {
  // Every fold of an audit (states, symptoms, recovery, each invariant) asks this of the same
  // event in turn: the last answer is kept for it. Safe because an envelope is an immutable value
  // (readonly, never rewritten in place), so the same object always has the same answer.
  if (e === lastEvent) return lastGpu;
  const gpu = gpuOfSubject(e.subject) ?? gpuOfPayload(e.payload);
  lastEvent = e;
  lastGpu = gpu;
  return gpu;
}

const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/**
 * N of a subject whose path starts with the token `gpu<N>` or `drv<N>` (N decimal digits), else
 * undefined. Index arithmetic, no split or regex: an audit asks it once per event of the log.
 */
export function gpuOfSubject(subject: string): number | undefined {
  const path = pathOf(subject);
  if (path === undefined) return undefined;
  const dot = path.indexOf(".");
  const end = dot < 0 ? path.length : dot;
  if (end < 4 || !(path.startsWith("gpu") || path.startsWith("drv"))) return undefined;
  for (let i = 3; i < end; i++) {
    const c = path.charCodeAt(i);
    if (c < DIGIT_0 || c > DIGIT_9) return undefined;
  }
  return Number(path.slice(3, end));
}

function gpuOfPayload(payload: unknown): number | undefined {
  const p = payload as { gpu?: unknown; fault?: { gpu?: unknown } } | null;
  if (typeof p?.gpu === "number") return p.gpu;
  if (typeof p?.fault?.gpu === "number") return p.fault.gpu;
  return undefined;
}
