import { decodeInput, type InputMessage } from "../../shared/events/input.ts";
import type { EventRegistry } from "../../shared/events/registry.ts";
import type { Rejection } from "../../shared/events/validate.ts";
import { parseDurationNs } from "../../shared/scenario/duration.ts";

/** Options of `tyrsim inject` that shape the message. */
export interface InjectMessageOptions {
  /** Virtual time (a duration like `5ms`, or ns). */
  readonly at?: string;
  /** Trigger: count events of this type… */
  readonly on?: string;
  /** …fire on the Nth… */
  readonly count?: number;
  /** …whose payload contains these `key=value` pairs. */
  readonly match?: readonly string[];
  readonly label?: string;
}

/** A `key=value` value: JSON when it parses (numbers, booleans, objects), hex as a number, else the text. */
export function parseValue(text: string): unknown {
  if (/^0x[0-9a-f]+$/i.test(text)) return Number.parseInt(text, 16);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** `["as=2", "job=j3"]` → `{ as: 2, job: "j3" }`; throws naming a pair without `=`. */
export function parsePairs(pairs: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of pairs) {
    const i = p.indexOf("=");
    if (i <= 0) throw new Error(`expected key=value, got '${p}'`);
    out[p.slice(0, i)] = parseValue(p.slice(i + 1));
  }
  return out;
}

/**
 * The input `tyrsim inject` publishes, from its arguments: a whole input message as JSON (with
 * `type`), a `FaultInjected` payload as JSON (with `fault`), a fault as JSON (with `kind`), or a
 * kind followed by `key=value` fields (`job-hang job=j3`, `irq-lost line=mmu`). `--on/--count/
 * --match` add a trigger, `--label` a name, `--at` the virtual time. Throws on unreadable text;
 * validation is {@link validateInject}'s.
 */
export function buildInjectMessage(args: readonly string[], opts: InjectMessageOptions): unknown {
  if (args.length === 0) throw new Error("nothing to inject: give a fault kind (see `tyrsim faults`) or JSON");
  const text = args.join(" ").trim();
  let message: Record<string, unknown>;
  if (text.startsWith("{")) {
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`not valid JSON: ${(e as Error).message}`);
    }
    message = "type" in value ? value : { type: "FaultInjected", payload: "fault" in value ? value : { fault: value } };
  } else {
    const [kind, ...pairs] = args;
    message = { type: "FaultInjected", payload: { fault: { kind, ...parsePairs(pairs) } } };
  }
  const payload = message["payload"] as Record<string, unknown> | undefined;
  if (message["type"] === "FaultInjected" && payload !== null && typeof payload === "object") {
    if (opts.on !== undefined) {
      const on = { eventType: opts.on, ...(opts.count !== undefined ? { count: opts.count } : {}), ...(opts.match !== undefined && opts.match.length > 0 ? { match: parsePairs(opts.match) } : {}) };
      payload["trigger"] = { on };
    }
    if (opts.label !== undefined) payload["label"] = opts.label;
  }
  if (opts.at !== undefined) {
    const ns = parseDurationNs(/^\d+$/.test(opts.at) ? Number(opts.at) : opts.at);
    if (ns === undefined) throw new Error(`--at: expected a duration like 250us, 1.5ms or integer ns, got '${opts.at}'`);
    message["atNs"] = ns;
  }
  return message;
}

/** Validate a message exactly as the runtime will (`decodeInput` with the catalogue). */
export function validateInject(message: unknown, subject: string, registry: EventRegistry): { ok: true; input: InputMessage } | { ok: false; rejection: Rejection } {
  return decodeInput(message, subject, registry);
}
