import type { Envelope } from "../../shared/events/envelope.ts";
import type { Level } from "../../shared/runtime/level.ts";
import type { RemoteService } from "./roundExchanges.ts";

/**
 * At most about this many bytes of events wait for the next requests of one process — all the
 * partitions it hosts together, since their requests travel in one message; past that a share goes
 * out at once. It bounds the coordinator's memory and the request's size (a memory write may carry
 * tens of KiB, and a NATS message is limited to 1 MiB by default).
 */
export const HELD_BACK_BYTES = 256 * 1024;

/** Levels held back for a service, in order, as `LevelRequest.earlier` carries them. */
export type HeldLevels = { level: Level; events: Envelope[] }[];

/**
 * A round's shares that only a service's shadows see (a memory replica's writes, seen by every
 * process), held back for the service's next request instead of a request of their own: shadows
 * publish nothing and arm no timer, so nothing the round brings back changes. Budgeted per process
 * (by service name), not per GPU it hosts.
 */
export class HeldBackShares {
  private readonly held = new Map<RemoteService, { readonly levels: HeldLevels; bytes: number }>();
  private readonly perProcess = new Map<string, number>();
  private readonly sizes = new WeakMap<Envelope, number>();

  constructor(private readonly budget = HELD_BACK_BYTES) {}

  /** Hold `events` at `level` for `service` if its process's budget allows it; false: send them now. */
  hold(service: RemoteService, level: Level, events: Envelope[]): boolean {
    const processBytes = this.perProcess.get(service.name) ?? 0;
    let added = 0;
    for (const e of events) added += this.sizeOf(e);
    if (processBytes + added > this.budget) return false;
    const held = this.held.get(service);
    if (held === undefined) this.held.set(service, { levels: [{ level, events }], bytes: added });
    else {
      held.levels.push({ level, events });
      held.bytes += added;
    }
    this.perProcess.set(service.name, processBytes + added);
    return true;
  }

  /** The levels held for `service`, handed over to go with its request now (undefined: none). */
  release(service: RemoteService): HeldLevels | undefined {
    const held = this.held.get(service);
    if (held === undefined) return undefined;
    this.held.delete(service);
    this.perProcess.set(service.name, (this.perProcess.get(service.name) ?? 0) - held.bytes);
    return held.levels;
  }

  /** About how many bytes of JSON `e` takes in a request (its payload measured once: every service holding it counts it). */
  private sizeOf(e: Envelope): number {
    let size = this.sizes.get(e);
    if (size === undefined) {
      size = 256 + (JSON.stringify(e.payload)?.length ?? 0);
      this.sizes.set(e, size);
    }
    return size;
  }
}
