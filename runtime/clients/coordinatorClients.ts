/**
 * The client protocol on a multi-process run (`tyrsim up --clients`, `tyrsim coordinate
 * --clients`): the shared protocol server (`clientServer.ts`) over the coordinator. The coordinator
 * awaits {@link CoordinatorClients.beforeLevel} before each level, where clients hold virtual time
 * and play their requests; a request is played as `playRequest` (`services/workload/drmChannel.ts`)
 * plays it on the embedded runtime — an input from the client at now + 1 ns, levels until the
 * answer is delivered, then the rest of that instant — only each level is a round of NATS
 * requests to the services. So a session writes the same log on either runtime.
 */
import type { Transport } from "../../shared/bus/transport.ts";
import type { Envelope } from "../../shared/events/envelope.ts";
import type { EventRegistry } from "../../shared/events/registry.ts";
import { INPUT_SOURCES } from "../../shared/runtime/simulation.ts";
import { isAnswerTo } from "../../services/workload/drmChannel.ts";
import type { Coordinator } from "../multiprocess/coordinator.ts";
import type { ClientRuntime, PlayableRequest } from "./clientRuntime.ts";
import { ClientServer, type ClientServerOptions } from "./clientServer.ts";

/** `playRequest` on the coordinator (see the module comment). */
export async function playOnCoordinator(c: Coordinator, client: string, req: PlayableRequest, maxWaitNs: number, untilNs: number): Promise<Envelope | undefined> {
  const start = c.nowNs + 1;
  let answer: Envelope | undefined;
  const stop = c.watchDelivered((e) => {
    if (answer === undefined && isAnswerTo(req.answer, e)) answer = e;
  });
  try {
    c.inputRaw(client, req.type, req.path, req.payload, start);
    await c.runUntil(() => answer !== undefined, Math.min(start + maxWaitNs, untilNs));
    if (answer !== undefined) await c.runUntil(() => false, c.nowNs);
  } finally {
    stop();
  }
  return answer;
}

/** A coordinator seen through {@link ClientRuntime}; `actors` are the hosted actors' names (from the services' Hellos). */
export function coordinatorClientRuntime(c: Coordinator, run: string, actors: Iterable<string>): ClientRuntime {
  return {
    runId: run,
    reserved: new Set([...Object.values(INPUT_SOURCES), ...actors]),
    nowNs: () => c.nowNs,
    play: (client, req, maxWaitNs, untilNs) => playOnCoordinator(c, client, req, maxWaitNs, untilNs),
    runTo: async (untilNs) => {
      await c.runUntil(() => false, untilNs);
    },
  };
}

/** See the module comment. */
export class CoordinatorClients {
  private readonly server: ClientServer;

  constructor(
    coordinator: Coordinator,
    run: string,
    actors: Iterable<string>,
    transport: Transport,
    registry: EventRegistry,
    private readonly untilNs: number,
    opts: ClientServerOptions = {},
  ) {
    this.server = new ClientServer(coordinatorClientRuntime(coordinator, run, actors), transport, registry, opts);
  }

  /** Awaited by `Coordinator.run` before each level: serve clients, and stand still while they hold time. */
  readonly beforeLevel = (): Promise<void> => this.server.hold(this.untilNs);

  /** After the last level before the run's end: refuse what is still waiting, then stop listening (later requests find no responder). */
  async close(): Promise<void> {
    await this.server.serve(this.untilNs, true);
    this.server.close();
  }
}
