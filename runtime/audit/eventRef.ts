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

const GPU_TOKEN = /^(?:gpu|drv)(\d+)$/;

/**
 * The GPU an event is about: the `gpu<N>` or `drv<N>` at the head of its subject path, else a
 * `gpu` field of its payload (fault events, firmware facts), else undefined (inputs on
 * `fault.inject` without one, runtime events).
 */
export function gpuOf(e: Envelope): number | undefined {
  const head = pathOf(e.subject)?.split(".")[0] ?? "";
  const m = GPU_TOKEN.exec(head);
  if (m !== null) return Number(m[1]);
  const p = e.payload as { gpu?: unknown; fault?: { gpu?: unknown } } | null;
  if (typeof p?.gpu === "number") return p.gpu;
  if (typeof p?.fault?.gpu === "number") return p.fault.gpu;
  return undefined;
}
