import { connectNatsTransport, type NatsTransport } from "../../shared/bus/natsTransport.ts";
import { RequestTimeoutError } from "../../shared/bus/transport.ts";
import type { Envelope } from "../../shared/events/envelope.ts";
import type { LogSink } from "../../shared/log/logFormat.ts";
import type { LoadedScenario } from "../../shared/scenario/loadScenario.ts";
import type { RunOutcome } from "../../shared/runtime/simulation.ts";
import { loadGpuModel } from "../../shared/gpu/loadModel.ts";
import { buildWorld } from "../../services/world.ts";
import { createCatalogue } from "../../services/catalogue.ts";
import { MessageRejected, SYS_ERROR_PATH } from "../../shared/events/systemEvents.ts";
import { INJECT_PATH, watchOutsideInputs } from "../../shared/runtime/outsideInputs.ts";
import { INPUT_SOURCES } from "../../shared/runtime/simulation.ts";
import { queueSteps, runIdOf } from "../embeddedRun.ts";
import { Coordinator, type RemoteService } from "./coordinator.ts";
import { checkOwnership } from "./partition.ts";
import { ctlSubjects, HelloSchema, LevelReplySchema, type Hello, type LevelRequest } from "./protocol.ts";

const decoder = new TextDecoder();
const text = (d: unknown): string => (typeof d === "string" ? d : decoder.decode(d as Uint8Array));

/** Options of a coordinator on NATS. */
export interface NatsCoordinatorOptions {
  readonly natsUrl: string;
  readonly loaded: LoadedScenario;
  readonly seed: number;
  readonly sink: LogSink;
  /** Service names to wait for before starting. */
  readonly expect: readonly string[];
  /** How long a service may take to answer one level before the coordinator says it is waiting for it. */
  readonly levelTimeoutMs?: number;
  readonly onDelivered?: (e: Envelope) => void;
  readonly log?: (line: string) => void;
}

/** Wait until every expected service said Hello; the deployment must host every actor of the world exactly once. */
async function gatherServices(transport: NatsTransport, opts: NatsCoordinatorOptions, run: string, log: (l: string) => void): Promise<Hello[]> {
  const subjects = ctlSubjects(run);
  const hellos = new Map<string, Hello>();
  const world = buildWorld(opts.loaded.scenario, loadGpuModel(opts.loaded.scenario.model));
  // Until everyone has joined, say every few seconds who is missing instead of waiting silently.
  const nag = setInterval(() => {
    const missing = opts.expect.filter((s) => !hellos.has(s));
    if (missing.length > 0) log(`coordinator: virtual time not started: waiting for ${missing.join(", ")}`);
  }, 3000);
  return new Promise<Hello[]>((resolve, reject) => {
    const sub = transport.subscribe(subjects.hello).subscribe((m) => {
      const parsed = HelloSchema.safeParse(JSON.parse(text(m.data)));
      if (!parsed.success) return m.respond(JSON.stringify({ ok: false, reason: `bad hello: ${parsed.error.issues[0]?.message ?? "invalid"}` }));
      hellos.set(parsed.data.service, parsed.data);
      m.respond(JSON.stringify({ ok: true }));
      const missing = opts.expect.filter((s) => !hellos.has(s));
      log(`coordinator: ${parsed.data.service} joined${missing.length > 0 ? `; waiting for ${missing.join(", ")}` : ""}`);
      if (missing.length > 0) return;
      const owners = new Map<string, string[]>();
      for (const h of hellos.values()) for (const a of h.actors) owners.set(a, [...(owners.get(a) ?? []), h.service]);
      const problems = checkOwnership(world, owners);
      sub.unsubscribe();
      clearInterval(nag);
      if (problems.length > 0) return reject(new Error(`deployment does not cover the world: ${problems.join("; ")}`));
      resolve(opts.expect.map((s) => hellos.get(s) as Hello));
    });
  });
}

/**
 * The coordinator of a multi-process run: gathers the services, then drives the run level by
 * level with NATS requests (a retried request is answered from the service's cache, never run
 * twice), mirrors every delivered event on its subject for live observers, and tells the services
 * when the run is over. A service that does not answer makes it stop time and say which one it
 * waits for, instead of hanging silently.
 */
export async function runNatsCoordinator(opts: NatsCoordinatorOptions): Promise<RunOutcome & { rounds: number }> {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + "\n"));
  const run = runIdOf(opts.loaded.scenario, opts.seed);
  const subjects = ctlSubjects(run);
  const transport = await connectNatsTransport({ servers: opts.natsUrl, name: "tyrsim-coordinator" });
  const hellos = await gatherServices(transport, opts, run, log);
  const timeoutMs = opts.levelTimeoutMs ?? 5000;
  const services: RemoteService[] = hellos.map((h) => ({
    name: h.service,
    patterns: h.patterns,
    nextTimer: h.nextTimer,
    async exchange(req: LevelRequest) {
      for (let attempt = 1; ; attempt++) {
        try {
          const reply = await transport.request(subjects.service(h.service), JSON.stringify(req), { timeoutMs });
          return LevelReplySchema.parse(JSON.parse(text(reply.data)));
        } catch (e) {
          log(`coordinator: time stopped at ${req.level.timeNs} ns: waiting for service ${h.service} (attempt ${attempt}: ${e instanceof RequestTimeoutError ? "no answer" : (e as Error).message})`);
          await new Promise((r) => setTimeout(r, Math.min(1000, 100 * attempt)));
        }
      }
    },
  }));
  const coordinator = new Coordinator({
    run,
    sink: opts.sink,
    services,
    onDelivered: (e) => {
      transport.publish(e.subject, JSON.stringify(e));
      opts.onDelivered?.(e);
    },
  });
  queueSteps(coordinator, opts.loaded.scenario);
  // Faults (any input) published on tyrsim.<run>.fault.inject reach the run at its next instant.
  const inputs = watchOutsideInputs(
    transport,
    run,
    createCatalogue(),
    (input) => coordinator.outsideInput(INPUT_SOURCES.injector, input.type, input.path ?? INJECT_PATH, input.payload, input.atNs ?? 0),
    (r) => coordinator.outsideInput(INPUT_SOURCES.injector, MessageRejected.type, SYS_ERROR_PATH, { ...r }),
  );
  const outcome = await coordinator.run(opts.loaded.scenario.duration);
  inputs.unsubscribe();
  transport.publish(subjects.end, JSON.stringify({ events: outcome.events }));
  await transport.flush();
  await transport.close();
  return { ...outcome, rounds: coordinator.rounds };
}
