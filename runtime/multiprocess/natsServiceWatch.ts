import type { Subscription } from "rxjs";
import type { NatsTransport } from "../../shared/bus/natsTransport.ts";
import { RequestTimeoutError } from "../../shared/bus/transport.ts";
import type { ResumePoint } from "./coordinator.ts";
import { ctlSubjects, HelloSchema, type Welcome } from "./protocol.ts";

/** Default wall-clock time a service may stay silent before the coordinator gives the run up. */
export const DEFAULT_GRACE_MS = 30_000;
/** How often the coordinator repeats whom it waits for. */
const REPORT_EVERY_MS = 3000;

/** A service stayed away longer than the grace period: the run cannot go on without its actors. */
export class ServiceLostError extends Error {
  override readonly name = "ServiceLostError";
  constructor(readonly service: string, readonly virtualTimeNs: number, readonly waitedMs: number, readonly why: string) {
    super(`virtual time stopped at ${virtualTimeNs} ns: waited ${(waitedMs / 1000).toFixed(1)} s for service ${service} (${why}); giving up`);
  }
}

const decoder = new TextDecoder();
const text = (d: unknown): string => (typeof d === "string" ? d : decoder.decode(d as Uint8Array));

/** One wait for a service: report it now and then, and give up after the grace period. */
export interface ServiceWait {
  /** The last attempt failed with `error`: log if a report is due; throws `ServiceLostError` past the grace period. */
  failed(error: unknown): void;
}

/**
 * The coordinator's watch over its services once the run is under way. A known service may
 * re-join (a restarted process says Hello again): it is welcomed with the resume point — where the
 * log and its timers must bring its actors — and anyone waiting for its return is told. Every
 * wait for a service (an unanswered level request, a killed service's return) is reported every
 * few seconds with the virtual time it holds up and since when, and ends in `ServiceLostError`
 * after `graceMs`. Wall-clock only: none of this enters the log.
 */
export class ServiceWatch {
  private readonly sub: Subscription;
  private readonly waiters = new Map<string, (() => void)[]>();

  constructor(
    private readonly transport: NatsTransport,
    private readonly run: string,
    private readonly known: readonly string[],
    resume: () => ResumePoint,
    logMode: NonNullable<Welcome["log"]>,
    private readonly log: (line: string) => void,
    private readonly graceMs = DEFAULT_GRACE_MS,
  ) {
    this.sub = transport.subscribe(ctlSubjects(run).hello).subscribe((m) => {
      const parsed = HelloSchema.safeParse(JSON.parse(text(m.data)));
      if (!parsed.success) return m.respond(JSON.stringify({ ok: false, reason: `bad hello: ${parsed.error.issues[0]?.message ?? "invalid"}` } satisfies Welcome));
      const service = parsed.data.service;
      if (!this.known.includes(service)) return m.respond(JSON.stringify({ ok: false, reason: `the run is under way and has no service '${service}'` } satisfies Welcome));
      const at = resume();
      m.respond(JSON.stringify({ ok: true, resume: at, log: logMode } satisfies Welcome));
      const pending = at.pending.length > 0 ? ` and ${at.pending.length} delivered but not logged yet` : "";
      this.log(`coordinator: ${service} re-joined; it rebuilds from the log's first ${at.beforeSeq} events${pending}`);
      const w = this.waiters.get(service) ?? [];
      this.waiters.delete(service);
      for (const done of w) done();
    });
  }

  /** Start waiting for `service`, which holds up virtual time at `virtualTimeNs`. */
  waitFor(service: string, virtualTimeNs: number, what = "no answer"): ServiceWait {
    const since = Date.now();
    // The first failure is reported at once, then every few seconds.
    let lastReport = since - REPORT_EVERY_MS;
    return {
      failed: (error) => {
        const now = Date.now();
        const why = error instanceof RequestTimeoutError ? what : error instanceof Error ? error.message : String(error);
        if (now - since > this.graceMs) throw new ServiceLostError(service, virtualTimeNs, now - since, why);
        if (now - lastReport >= REPORT_EVERY_MS) {
          lastReport = now;
          this.log(`coordinator: virtual time stopped at ${virtualTimeNs} ns: waiting for service ${service} since ${((now - since) / 1000).toFixed(1)} s (${why})`);
        }
      },
    };
  }

  /**
   * Kill `service` (a service-died fault: the process kills itself on `ctl.kill.<service>`) and
   * resolve once a new process has re-joined; `ServiceLostError` when none does within the grace period.
   */
  async killAndAwaitReturn(service: string, virtualTimeNs: number): Promise<void> {
    const back = new Promise<void>((resolve) => this.waiters.set(service, [...(this.waiters.get(service) ?? []), resolve]));
    this.transport.publish(ctlSubjects(this.run).kill(service), "");
    this.log(`coordinator: service-died: killed ${service} at ${virtualTimeNs} ns; virtual time waits for it to restart and rebuild`);
    const wait = this.waitFor(service, virtualTimeNs, "killed by a service-died fault, not restarted yet");
    for (;;) {
      const returned = await Promise.race([back.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 500))]);
      if (returned) return;
      wait.failed(new Error("killed by a service-died fault, not back yet"));
    }
  }

  /** Stop answering Hello. */
  close(): void {
    this.sub.unsubscribe();
  }
}
