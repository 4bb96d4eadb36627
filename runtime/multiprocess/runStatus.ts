import type { RunStatus } from "./protocol.ts";

/** A level reply outstanding this long (wall ms) makes its service `silent`. */
export const SILENT_AFTER_MS = 1000;

/**
 * The coordinator's board of a live run, fed by what it sees (Hellos, health messages, level
 * exchanges, delivered events) and read as a `RunStatus` report. Wall-clock times are passed in
 * by the caller, so the board itself is pure and testable; none of it enters the log.
 */
export class RunStatusBoard {
  private phase: RunStatus["phase"] = "gathering";
  private virtualTimeNs = 0;
  private events = 0;
  private lastReport: { atMs: number; events: number } | undefined;
  private readonly joined = new Set<string>();
  private readonly health = new Map<string, { state: "ready" | "draining"; sinceMs: number }>();
  /** Service → wall ms since which a level request to it is outstanding. */
  private readonly outstanding = new Map<string, number>();

  constructor(
    private readonly run: string,
    private readonly expected: readonly string[],
    private readonly startedMs: number,
  ) {}

  /** A service said Hello. */
  joinedBy(service: string): void {
    this.joined.add(service);
  }

  /** A service's health message. */
  healthOf(service: string, state: "ready" | "draining", atMs: number): void {
    if (this.health.get(service)?.state !== state) this.health.set(service, { state, sinceMs: atMs });
  }

  /** Virtual time started. */
  running(): void {
    this.phase = "running";
  }

  /** The run is over. */
  finished(): void {
    this.phase = "finished";
  }

  /** A level request to `service` went out (at `atMs`) or was answered (`atMs` undefined). */
  waiting(service: string, atMs: number | undefined): void {
    if (atMs === undefined) this.outstanding.delete(service);
    else this.outstanding.set(service, atMs);
  }

  /** An event was delivered and logged. */
  delivered(timeNs: number): void {
    this.events++;
    this.virtualTimeNs = timeNs;
  }

  /** The report at wall time `nowMs`; events/s is measured since the previous report. */
  report(nowMs: number): RunStatus {
    const prev = this.lastReport ?? { atMs: this.startedMs, events: 0 };
    const dt = (nowMs - prev.atMs) / 1000;
    this.lastReport = { atMs: nowMs, events: this.events };
    const waitingFor = this.phase === "gathering" ? this.expected.filter((s) => !this.joined.has(s)) : this.expected.filter((s) => this.outstanding.has(s));
    const services = this.expected.map((service) => {
      const since = this.outstanding.get(service);
      if (this.phase === "running" && since !== undefined && nowMs - since >= SILENT_AFTER_MS) return { service, state: "silent" as const, sinceMs: since };
      const h = this.health.get(service);
      return h === undefined ? { service, state: "silent" as const, sinceMs: this.startedMs } : { service, state: h.state, sinceMs: h.sinceMs };
    });
    return {
      run: this.run,
      phase: this.phase,
      virtualTimeNs: this.virtualTimeNs,
      eventsLogged: this.events,
      eventsPerSecond: dt > 0 ? Math.round((this.events - prev.events) / dt) : 0,
      waitingFor,
      services,
      atMs: nowMs,
    };
  }
}
