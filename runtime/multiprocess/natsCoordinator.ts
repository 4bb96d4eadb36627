import { connectNatsTransport, type NatsTransport } from "../../shared/bus/natsTransport.ts";
import type { Envelope } from "../../shared/events/envelope.ts";
import type { LogSink } from "../../shared/log/logFormat.ts";
import { lineBytes } from "../../shared/log/encodedLines.ts";
import type { LoadedScenario } from "../../shared/scenario/loadScenario.ts";
import type { RunOutcome } from "../../shared/runtime/simulation.ts";
import { loadGpuModel } from "../../shared/gpu/loadModel.ts";
import { buildWorld } from "../../services/world.ts";
import { createCatalogue } from "../../services/catalogue.ts";
import { MessageRejected, SYS_ERROR_PATH } from "../../shared/events/systemEvents.ts";
import { INJECT_PATH, watchOutsideInputs } from "../../shared/runtime/outsideInputs.ts";
import { INPUT_SOURCES } from "../../shared/runtime/simulation.ts";
import { runIdOf } from "../embeddedRun.ts";
import { Coordinator, type RemoteService, type ResumePoint } from "./coordinator.ts";
import { DEFAULT_GRACE_MS, ServiceWatch } from "./natsServiceWatch.ts";
import { checkOwnership, placementOf } from "./partition.ts";
import { ctlSubjects, HelloSchema, ServiceHealthSchema, type Hello, type LevelReply, type LevelRequest, type RunAheadRequest } from "./protocol.ts";
import { parseLevelBatchReplyText, parseLevelReply } from "./replyCheck.ts";
import { logPermissionViolations } from "./permissionLog.ts";
import { credentialsFor } from "./natsPermissions.ts";
import { RunStatusBoard } from "./runStatus.ts";
import { subjectOf } from "../../shared/events/subjects.ts";
import { CoordinatorClients } from "../clients/coordinatorClients.ts";
import type { ClientServerOptions } from "../clients/clientServer.ts";

/** A message's text (replies carry every event of the run: Buffer's UTF-8 decoding is the quicker here). */
const text = (d: unknown): string => {
  if (typeof d === "string") return d;
  const bytes = d as Uint8Array;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
};

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
  /** How long a service may stay silent (or away after a kill) before the run is given up with `ServiceLostError` (default 30 s). */
  readonly graceMs?: number;
  /** The run's log is in JetStream, so a restarted service can rebuild from it (default true). */
  readonly jetstreamLog?: boolean;
  readonly onDelivered?: (e: Envelope) => void;
  readonly log?: (line: string) => void;
  /** Serve remote user-space clients on `tyrsim.<run>.ctl.client`, holding virtual time while they are attached (`runtime/clients/`). */
  readonly clients?: ClientServerOptions;
  /** Step the GPUs of a fleet independently (default true; always off with `clients`). See `Coordinator`. */
  readonly lookahead?: boolean;
}

/**
 * The remote services of one service process as the coordinator steps them: one per partition it
 * named in its Hello; without partitions, one — in the partition of its actors' GPU, or in none
 * (no lookahead for the run) when its actors belong to several.
 */
export function remoteServicesOf(h: Hello, exchange: (req: LevelRequest) => Promise<LevelReply>, exchangeBatch?: RemoteService["exchangeBatch"]): RemoteService[] {
  if (h.partitions !== undefined) {
    // A service that names its partitions takes a round's levels for all of them in one message.
    const batch = exchangeBatch !== undefined ? { exchangeBatch, ...(h.runAhead === true ? { runAhead: true } : {}) } : {};
    return h.partitions.map((p) => ({
      name: h.service,
      partition: p.partition,
      actors: p.actors,
      patterns: p.patterns,
      ...(p.ownedPatterns !== undefined ? { ownedPatterns: p.ownedPatterns } : {}),
      nextTimer: p.nextTimer,
      exchange,
      ...batch,
    }));
  }
  const gpus = new Set(h.actors.map((a) => placementOf(a)?.gpu));
  const partition = gpus.size === 1 ? [...gpus][0] : undefined;
  const owned = h.ownedPatterns !== undefined ? { ownedPatterns: h.ownedPatterns } : {};
  return [{ name: h.service, actors: h.actors, patterns: h.patterns, ...owned, nextTimer: h.nextTimer, exchange, ...(partition !== undefined ? { partition } : {}) }];
}

/**
 * Publish a logged event's line on its subject, for live observers (`nats sub 'tyrsim.>'`). Every
 * event of the run goes through here, so a subject is checked once — its first publish goes through
 * the transport, which refuses an invalid one — and then sent straight on the connection.
 */
function eventMirror(transport: NatsTransport): (subject: string, line: Uint8Array) => void {
  const checked = new Set<string>();
  return (subject, line) => {
    if (!checked.has(subject)) {
      transport.publish(subject, line);
      checked.add(subject);
    } else if (!transport.connection.isClosed()) transport.connection.publish(subject, line);
  };
}

/** Wait until every expected service said Hello; the deployment must host every actor of the world exactly once. */
async function gatherServices(transport: NatsTransport, opts: NatsCoordinatorOptions, run: string, log: (l: string) => void, board?: RunStatusBoard): Promise<Hello[]> {
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
      board?.joinedBy(parsed.data.service);
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
  const transport = await connectNatsTransport({ servers: opts.natsUrl, name: "tyrsim-coordinator", ...credentialsFor("coordinator") });
  logPermissionViolations(transport, "coordinator", log);
  // `tyrsim status`: services' health and the run's progress, reported every second on ctl.status.
  const board = new RunStatusBoard(run, opts.expect, Date.now());
  const healthSub = transport.subscribe(subjects.health).subscribe((m) => {
    const h = ServiceHealthSchema.safeParse(JSON.parse(text(m.data)));
    if (h.success) board.healthOf(h.data.service, h.data.state, Date.now());
  });
  const reportStatus = () => transport.publish(subjects.status, JSON.stringify(board.report(Date.now())));
  const statusTimer = setInterval(reportStatus, 1000);
  const hellos = await gatherServices(transport, opts, run, log, board).catch((e: unknown) => {
    clearInterval(statusTimer);
    throw e;
  });
  board.running();
  // From now on a known service may re-join (a restarted process) and is told where to resume.
  let resumePoint = (): ResumePoint => ({ beforeSeq: 0, through: null, pending: [], throughByPartition: {} });
  const watch = new ServiceWatch(transport, run, hellos.map((h) => h.service), () => resumePoint(), opts.jetstreamLog === false ? "none" : "jetstream", log, opts.graceMs);
  const timeoutMs = Math.min(opts.levelTimeoutMs ?? 5000, opts.graceMs ?? DEFAULT_GRACE_MS);
  /** One request to a service process, retried until answered (a retried round is answered from the service's cache). */
  const requestTo = async <T>(service: string, timeNs: number, body: unknown, parse: (text: string) => T): Promise<T> => {
    const wait = watch.waitFor(service, timeNs);
    for (let attempt = 1; ; attempt++) {
      try {
        board.waiting(service, Date.now());
        const reply = await transport.request(subjects.service(service), JSON.stringify(body), { timeoutMs });
        board.waiting(service, undefined);
        return parse(text(reply.data));
      } catch (e) {
        // Reported every few seconds; ServiceLostError (ending the run) past the grace period.
        wait.failed(e);
        await new Promise((r) => setTimeout(r, Math.min(1000, 100 * attempt)));
      }
    }
  };
  const exchangeWith = (service: string) => (req: LevelRequest) => requestTo(service, req.level.timeNs, req, (t) => parseLevelReply(JSON.parse(t)));
  const batchWith = (service: string) => async (reqs: readonly LevelRequest[], ahead: readonly RunAheadRequest[] = []) => {
    const timeNs = Math.min(...reqs.map((r) => r.level.timeNs), ...ahead.map((r) => r.events[0]?.timeNs ?? coordinator.nowNs));
    const body = { batch: reqs, ...(ahead.length > 0 ? { ahead } : {}) };
    const reply = await requestTo(service, timeNs, body, parseLevelBatchReplyText);
    const aheadReplies = reply.ahead ?? [];
    if (reply.replies.length !== reqs.length || aheadReplies.length !== ahead.length) throw new Error(`service ${service} answered ${reply.replies.length} of ${reqs.length} batched level requests and ${aheadReplies.length} of ${ahead.length} runs ahead`);
    return { replies: reply.replies, ahead: aheadReplies };
  };
  const services: RemoteService[] = hellos.flatMap((h) => remoteServicesOf(h, exchangeWith(h.service), batchWith(h.service)));
  const injectSubject = subjectOf(run, INJECT_PATH);
  const mirror = eventMirror(transport);
  const coordinator: Coordinator = new Coordinator({
    run,
    sink: opts.sink,
    services,
    onWritten: (events, lines) => {
      for (let i = 0; i < events.length; i++) {
        const e = events[i] as Envelope;
        board.delivered(e.timeNs);
        // Mirrored for live observers, except inputs on the inject subject: only the injector may
        // publish there (deploy/nats/tyrsim.conf); they are in the log and their effects are mirrored.
        if (e.subject !== injectSubject) mirror(e.subject, lineBytes(lines, i));
      }
    },
    ...(opts.onDelivered !== undefined ? { onDelivered: opts.onDelivered } : {}),
    restartService: (service): Promise<void> => watch.killAndAwaitReturn(service, coordinator.nowNs),
    // Remote clients hold virtual time between levels of the whole run: no partition runs ahead.
    lookahead: opts.lookahead !== false && opts.clients === undefined,
  });
  resumePoint = () => coordinator.resumePoint();
  coordinator.queueSteps(opts.loaded.scenario);
  // Faults (any input) published on tyrsim.<run>.fault.inject reach the run at its next instant.
  const inputs = watchOutsideInputs(
    transport,
    run,
    createCatalogue(),
    (input) => coordinator.outsideInput(INPUT_SOURCES.injector, input.type, input.path ?? INJECT_PATH, input.payload, input.atNs ?? 0),
    (r) => coordinator.outsideInput(INPUT_SOURCES.injector, MessageRejected.type, SYS_ERROR_PATH, { ...r }),
  );
  const clients =
    opts.clients !== undefined ? new CoordinatorClients(coordinator, run, hellos.flatMap((h) => h.actors), transport, createCatalogue(), opts.loaded.scenario.duration, opts.clients) : undefined;
  const outcome = await coordinator.run(opts.loaded.scenario.duration, clients?.beforeLevel).catch(async (e: unknown) => {
    // A service lost for good: say so at the end too, and let the services go.
    log(`coordinator: ${(e as Error).message}`);
    await clients?.close();
    clearInterval(statusTimer);
    watch.close();
    transport.publish(subjects.end, JSON.stringify({ events: coordinator.eventCount }));
    await transport.flush().catch(() => {});
    await transport.close();
    throw e;
  });
  await clients?.close();
  watch.close();
  inputs.unsubscribe();
  clearInterval(statusTimer);
  healthSub.unsubscribe();
  board.finished();
  reportStatus();
  transport.publish(subjects.end, JSON.stringify({ events: outcome.events }));
  await transport.flush();
  await transport.close();
  return { ...outcome, rounds: coordinator.rounds };
}
