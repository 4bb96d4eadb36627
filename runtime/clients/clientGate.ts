/**
 * The client protocol on a live embedded run (`tyrsim run --nats URL --clients`): the shared
 * protocol server (`clientServer.ts`) over a `Simulation`, and the loop that alternates slices of
 * levels with serving clients, standing still while they hold the clock. Requests are played with
 * `playRequest` (`services/workload/drmChannel.ts`), the in-process channel's own function, so the
 * log does not depend on where the client runs.
 */
import type { Transport } from "../../shared/bus/transport.ts";
import type { EventRegistry } from "../../shared/events/registry.ts";
import { nextTurn } from "../../shared/process/eventLoop.ts";
import { INPUT_SOURCES, type RunBounds, type Simulation } from "../../shared/runtime/simulation.ts";
import { playRequest } from "../../services/workload/drmChannel.ts";
import type { ClientRuntime } from "./clientRuntime.ts";
import { ClientServer, type ClientServerOptions } from "./clientServer.ts";

/** Options of a {@link ClientGate} (those of the shared protocol server). */
export type ClientGateOptions = ClientServerOptions;

/** A `Simulation` seen through {@link ClientRuntime}: everything happens at once (synchronously). */
export function simulationClientRuntime(sim: Simulation): ClientRuntime {
  return {
    runId: sim.runId,
    reserved: new Set([...Object.values(INPUT_SOURCES), ...sim.hosted().keys()]),
    nowNs: () => sim.scheduler.nowNs,
    play: (client, req, maxWaitNs, untilNs) => playRequest(sim, client, req, maxWaitNs, untilNs),
    runTo: (untilNs) => {
      sim.runUntil(() => false, untilNs);
    },
  };
}

/** See the module comment. */
export class ClientGate {
  private readonly server: ClientServer;

  constructor(
    private readonly sim: Simulation,
    transport: Transport,
    registry: EventRegistry,
    opts: ClientGateOptions = {},
  ) {
    this.server = new ClientServer(simulationClientRuntime(sim), transport, registry, opts);
  }

  /** Whether virtual time must stand still now (a client is attached, or none has come yet and we wait for one). */
  held(): boolean {
    return this.server.held();
  }

  /**
   * Run the simulation to `bounds`, serving clients between slices and standing still while they
   * hold the clock. Resolves when the run has reached its end (then `finish` it); requests that
   * come later are answered with an error.
   */
  async drive(bounds: RunBounds, slice = 256): Promise<void> {
    const untilNs = bounds.untilNs ?? Number.POSITIVE_INFINITY;
    for (;;) {
      await this.server.hold(untilNs);
      if (!this.sim.advance(bounds, slice)) break;
      await nextTurn();
    }
    await this.server.serve(untilNs, true);
  }

  /** Stop listening. */
  close(): void {
    this.server.close();
  }
}
