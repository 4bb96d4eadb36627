import type { Envelope } from "../../shared/events/envelope.ts";
import { matchSubject, subjectOf } from "../../shared/events/subjects.ts";
import type { Draft } from "../../shared/runtime/draft.ts";
import { INPUT_SOURCES } from "../../shared/runtime/simulation.ts";
import { FaultApplied, FaultArmed, FaultInjected, FaultRejected, FAULT_PATHS } from "../../services/faults/faultEvents.ts";
import type { FaultKind, FaultSpec } from "../../services/faults/faultKinds.ts";
import { MessageDelayed, MessageDropped, RUNTIME_FAULT_PATHS, ServiceRestarted } from "./runtimeFaultEvents.ts";

/** Publisher name of the runtime's fault records (its own counter orders them canonically). */
export const RUNTIME_FAULTS_SOURCE = "runtime.faults";

/** A `service-died` fault the runtime must carry out: kill that process and wait for it to re-join. */
export interface ServiceDeath {
  readonly fault: string;
  readonly service: string;
}

interface ArmedMessageFault {
  readonly fault: string;
  readonly kind: "message-loss" | "message-delay";
  readonly pattern: string;
  readonly delayNs: number;
  left: number;
  occurrence: number;
}

/** What routing made of one level's drafts: those delivered now, and those queued for later (postponed events, fault records). */
export interface Routed {
  readonly deliver: Draft[];
  readonly later: Draft[];
}

const NONE: Draft[] = [];

/** Is `source` an actor (not the scenario, an injector or the runtime)? Only actors' events travel between services. */
function isActorSource(source: string): boolean {
  return source !== INPUT_SOURCES.scenario && source !== INPUT_SOURCES.injector && source !== INPUT_SOURCES.runtime && !source.startsWith("runtime.");
}

/**
 * The faults of the `runtime` applier (`service-died`, `message-loss`, `message-delay`) as one
 * pure book both runtimes keep beside their event queue. It takes the `FaultInjected` events of
 * those kinds as they are delivered (`observe`), and applies message faults in the routing step
 * (`route`): the next events of actors on a matching subject are dropped, or postponed by the
 * fault's virtual delay, and each time `FaultApplied` plus `MessageDropped`/`MessageDelayed` are
 * recorded one causal depth later. Everything depends only on the delivered events, so the
 * embedded runtime, the coordinator and a replay make the same decisions at the same places.
 *
 * `service-died` needs service processes: given the run's service names (the coordinator of a
 * multi-process run), a fault naming one is applied and handed to the runtime (`takeDeaths`); the
 * embedded runtime, which has none, rejects it saying so.
 *
 * Simplification: a message fault acts on the event on its way to *every* subscriber (the bus
 * is one broadcast), not on one receiving service's copy.
 */
export class RuntimeFaults {
  private n = 0;
  private readonly armed: ArmedMessageFault[] = [];
  private readonly postponed = new Set<string>();
  private deaths: ServiceDeath[] = [];

  constructor(
    private readonly run: string,
    /** Service names a `service-died` fault may name; undefined where there are no service processes. */
    private readonly services?: readonly string[],
  ) {}

  /** Are any message faults waiting? (The routing fast path skips the book when not.) */
  get active(): boolean {
    return this.armed.length > 0;
  }

  /** Apply the armed message faults to one level's drafts, in canonical order. */
  route(drafts: Draft[]): Routed {
    if (this.armed.length === 0) return { deliver: drafts, later: NONE };
    const deliver: Draft[] = [];
    const later: Draft[] = [];
    for (const d of drafts) {
      const f = isActorSource(d.source) && !this.postponed.has(d.id) ? this.armed.find((a) => a.left > 0 && matchSubject(a.pattern, d.subject)) : undefined;
      if (f === undefined) {
        deliver.push(d);
        continue;
      }
      f.left--;
      f.occurrence++;
      const what = { fault: f.fault, id: d.id, subject: d.subject, type: d.type };
      if (f.kind === "message-loss") {
        later.push(this.record(d, f.fault, FaultApplied.type, FAULT_PATHS.applied, { fault: f.fault, kind: f.kind, gpu: 0, occurrence: f.occurrence, detail: `dropped ${d.type} ${d.id}` }));
        later.push(this.record(d, f.fault, MessageDropped.type, RUNTIME_FAULT_PATHS.dropped, what));
      } else {
        const deliverAtNs = d.timeNs + f.delayNs;
        later.push(this.record(d, f.fault, FaultApplied.type, FAULT_PATHS.applied, { fault: f.fault, kind: f.kind, gpu: 0, occurrence: f.occurrence, detail: `postponed ${d.type} ${d.id} by ${f.delayNs} ns` }));
        later.push(this.record(d, f.fault, MessageDelayed.type, RUNTIME_FAULT_PATHS.delayed, { ...what, delayNs: f.delayNs, deliverAtNs }));
        // A later instant opens at depth 0; the event keeps its id, so its canonical place there is fixed.
        later.push({ ...d, timeNs: deliverAtNs, depth: 0 });
        this.postponed.add(d.id);
      }
    }
    for (let i = this.armed.length - 1; i >= 0; i--) if ((this.armed[i] as ArmedMessageFault).left === 0) this.armed.splice(i, 1);
    return { deliver, later };
  }

  /** Take the runtime-kind faults among a level's delivered events; returns the records to queue. */
  observe(delivered: readonly Envelope[]): Draft[] {
    let out: Draft[] | undefined;
    for (const e of delivered) {
      if (e.type !== FaultInjected.type) continue;
      const fault = (e.payload as { fault: FaultSpec }).fault;
      const records = this.take(e, fault);
      if (records.length > 0) (out ??= []).push(...records);
    }
    return out ?? NONE;
  }

  /** The service deaths applied since the last call, for the runtime to carry out. */
  takeDeaths(): ServiceDeath[] {
    const d = this.deaths;
    this.deaths = [];
    return d;
  }

  /** The record of a killed service's return, one depth after the level it died in. */
  restarted(death: ServiceDeath, level: { timeNs: number; depth: number }, rebuiltFromEvents: number): Draft {
    return this.draft(level.timeNs, level.depth + 1, death.fault, ServiceRestarted.type, RUNTIME_FAULT_PATHS.restarted, { service: death.service, fault: death.fault, rebuiltFromEvents });
  }

  private take(e: Envelope, fault: FaultSpec): Draft[] {
    const kind: FaultKind = fault.kind;
    if (fault.kind === "message-loss" || fault.kind === "message-delay") {
      const delayNs = fault.kind === "message-delay" ? fault.delayNs : 0;
      const count = fault.count ?? 1;
      this.armed.push({ fault: e.id, kind: fault.kind, pattern: subjectOf(this.run, fault.subject), delayNs, left: count, occurrence: 0 });
      const waitsFor = `the next ${count} actor event(s) on ${fault.subject}`;
      return [this.draft(e.timeNs, e.depth + 1, e.id, FaultArmed.type, FAULT_PATHS.armed, { fault: e.id, kind, gpu: 0, waitsFor })];
    }
    if (fault.kind !== "service-died") return NONE;
    const reject = (reason: string) => [this.draft(e.timeNs, e.depth + 1, e.id, FaultRejected.type, FAULT_PATHS.rejected, { fault: e.id, kind, gpu: 0, reason })];
    if (this.services === undefined) {
      return reject("service-died needs the multi-process runtime (tyrsim up): the embedded runtime has no service processes to kill");
    }
    if (!this.services.includes(fault.service)) return reject(`no service named '${fault.service}' in this run (services: ${this.services.join(", ")})`);
    this.deaths.push({ fault: e.id, service: fault.service });
    return [this.draft(e.timeNs, e.depth + 1, e.id, FaultApplied.type, FAULT_PATHS.applied, { fault: e.id, kind, gpu: 0, occurrence: 1, detail: `killed service ${fault.service}` })];
  }

  private record(d: Draft, fault: string, type: string, path: string, payload: unknown): Draft {
    return this.draft(d.timeNs, d.depth + 1, fault, type, path, payload);
  }

  private draft(timeNs: number, depth: number, cause: string, type: string, path: string, payload: unknown): Draft {
    const n = this.n++;
    return { id: `${RUNTIME_FAULTS_SOURCE}:${n}`, timeNs, depth, source: RUNTIME_FAULTS_SOURCE, n, subject: subjectOf(this.run, path), type, cause, payload };
  }
}
