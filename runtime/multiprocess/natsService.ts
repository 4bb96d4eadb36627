import { connectNatsTransport } from "../../shared/bus/natsTransport.ts";
import { createCatalogue } from "../../services/catalogue.ts";
import { loadScenarioFile } from "../../shared/scenario/loadScenario.ts";
import { buildServicePartitions } from "./inProcessServices.ts";
import { GPU_KIND, SERVICE_KINDS, type ProcessKind } from "./partition.ts";
import { ctlSubjects, WelcomeSchema, type Hello, type Welcome } from "./protocol.ts";
import { parseLevelBatchRequest, parseLevelRequest } from "./requestCheck.ts";
import type { TransportMessage } from "../../shared/bus/transport.ts";
import { rebuildFromJetStream } from "./natsRebuild.ts";
import { batchReplyText, levelHandler, runAheadHandler } from "./serviceHostLink.ts";
import { logPermissionViolations } from "./permissionLog.ts";
import { keyLess, type OrderKey } from "../../shared/time/scheduler.ts";

/** How a service process is told what to be: environment variables, as compose and `tyrsim up` set them. */
export interface ServiceProcessConfig {
  readonly natsUrl: string;
  readonly scenarioPath: string;
  readonly seed: number;
  readonly kind: ProcessKind;
  /** GPUs this service serves: a set, or `all` of the scenario's. */
  readonly gpus: ReadonlySet<number> | "all";
  /** Service name on the control subjects; default `<kind>-<gpus>`. */
  readonly name: string;
}

/** A message's text (Buffer's UTF-8 decoding is the quicker for a request of every round). */
const text = (d: unknown): string => {
  if (typeof d === "string") return d;
  const bytes = d as Uint8Array;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
};

/** Read a service's configuration from TYRSIM_* environment variables; errors name the variable. */
export function serviceConfigFromEnv(kind: ProcessKind, env: NodeJS.ProcessEnv = process.env): ServiceProcessConfig {
  const need = (k: string): string => {
    const v = env[k];
    if (v === undefined || v === "") throw new Error(`${k} is not set (the ${kind} service needs it)`);
    return v;
  };
  if (kind !== GPU_KIND && !SERVICE_KINDS.includes(kind)) throw new Error(`unknown service kind '${kind}'`);
  const gpuList = env["TYRSIM_GPUS"] ?? "all";
  const gpus = gpuList === "all" ? "all" : new Set(gpuList.split(",").map((g) => Number(g.trim())));
  if (gpus !== "all" && [...gpus].some((g) => !Number.isInteger(g) || g < 0)) throw new Error(`TYRSIM_GPUS must be 'all' or list GPU numbers, got '${gpuList}'`);
  return {
    natsUrl: env["TYRSIM_NATS_URL"] ?? "nats://127.0.0.1:4222",
    scenarioPath: need("TYRSIM_SCENARIO"),
    seed: Number(need("TYRSIM_SEED")),
    kind,
    gpus,
    name: env["TYRSIM_SERVICE_NAME"] ?? (gpus === "all" ? kind : `${kind}-${[...gpus].join("-")}`),
  };
}

/**
 * A service process: its actors (the very code of the embedded runtime) in an actor host, level
 * requests answered over NATS, Hello repeated until the coordinator welcomes it, health on the
 * control subject, and a clean exit at the run's end or on SIGTERM. SIGTERM drains: health goes
 * to `draining`, the level requests already received are answered (the level under way is
 * finished, never dropped), the replies are flushed to the server, and the process exits 0.
 */
export async function runServiceProcess(cfg: ServiceProcessConfig, log: (line: string) => void = (l) => process.stderr.write(l + "\n")): Promise<void> {
  const loaded = loadScenarioFile(cfg.scenarioPath, createCatalogue());
  const run = `${loaded.scenario.name}-${cfg.seed}`;
  const gpus = cfg.gpus === "all" ? new Set(Array.from({ length: loaded.scenario.gpus }, (_, i) => i)) : cfg.gpus;
  const { partitions, owned, shadows, placeFor } = buildServicePartitions(run, cfg.seed, loaded.scenario, cfg.kind, gpus);
  const hosts = new Map(partitions.map((p) => [p.partition, p.host]));
  const subjects = ctlSubjects(run);
  const transport = await connectNatsTransport({ servers: cfg.natsUrl, name: `tyrsim-${cfg.name}` });
  logPermissionViolations(transport, cfg.name, log);
  // After a rebuild from the log: per partition, the level it was brought to (held-back levels up to there were replayed).
  let replayed: Welcome["resume"];
  const handle = levelHandler(hosts, (p) => {
    if (replayed === undefined) return null;
    const own = replayed.throughByPartition?.[String(p)];
    return own === undefined ? replayed.through : own;
  });
  const ahead = runAheadHandler(hosts, run, placeFor);
  let finished: () => void = () => {};
  const done = new Promise<void>((resolve) => (finished = resolve));
  // Requests wait (in arrival order) until the actors are where the coordinator expects them: at
  // once on a fresh start, after the rebuild from the log for a restarted process.
  let rebuilt: () => void = () => {};
  const ready = new Promise<void>((resolve) => (rebuilt = resolve));
  let isReady = false;
  const serve = (m: TransportMessage): void => {
    try {
      const body: unknown = JSON.parse(text(m.data));
      // A round's levels for several of this process's partitions come in one batch.
      if (typeof body === "object" && body !== null && "batch" in body) {
        const req = parseLevelBatchRequest(body);
        // Each event run ahead goes out as the line its run made to measure the reply, not stringified again.
        m.respond(batchReplyText(req.batch.map((r) => handle(r)), req.ahead?.map((r) => ahead(r))));
      } else {
        m.respond(JSON.stringify(handle(parseLevelRequest(body))));
      }
    } catch (e) {
      log(`${cfg.name}: bad level request: ${(e as Error).message}`);
    }
  };
  transport.subscribe(subjects.service(cfg.name)).subscribe((m) => {
    // Once ready, each request is served as it arrives; before, they wait (in arrival order) for the rebuild.
    if (isReady) serve(m);
    else void ready.then(() => serve(m));
  });
  transport.subscribe(subjects.end).subscribe(() => finished());
  // A service-died fault: die at once, as a crash would (the supervisor restarts the process).
  transport.subscribe(subjects.kill(cfg.name)).subscribe(() => {
    log(`${cfg.name}: killed by a service-died fault`);
    process.kill(process.pid, "SIGKILL");
  });
  let draining = false;
  process.once("SIGTERM", () => {
    draining = true;
    log(`${cfg.name}: SIGTERM: draining (finishing the level under way, then exiting)`);
    transport.publish(subjects.health, JSON.stringify({ service: cfg.name, state: "draining" }));
    finished();
  });
  const hello: Hello = {
    service: cfg.name,
    actors: owned,
    shadows,
    patterns: [...new Set(partitions.flatMap((p) => p.host.subscribedPatterns()))],
    // The events only shadows listen to may be held back for the next request (`earlier`).
    ...(shadows.length > 0 ? { ownedPatterns: [...new Set(partitions.flatMap((p) => p.ownedPatterns))] } : {}),
    nextTimer: partitions.map((p) => p.host.nextTimerKey()).reduce<OrderKey | undefined>((a, b) => (b !== undefined && (a === undefined || keyLess(b, a)) ? b : a), undefined) ?? null,
    partitions: partitions.map((p) => ({
      partition: p.partition,
      actors: p.owned,
      patterns: [...p.host.subscribedPatterns()],
      nextTimer: p.host.nextTimerKey() ?? null,
      ...(shadows.length > 0 ? { ownedPatterns: p.ownedPatterns } : {}),
    })),
    // Whole GPUs: each partition closed, so the coordinator may let it run ahead on its own.
    ...(cfg.kind === GPU_KIND ? { runAhead: true } : {}),
  };
  let welcome: Welcome;
  for (;;) {
    try {
      const reply = await transport.request(subjects.hello, JSON.stringify(hello), { timeoutMs: 1000 });
      welcome = WelcomeSchema.parse(JSON.parse(text(reply.data)));
      if (!welcome.ok) throw new Error(`coordinator refused ${cfg.name}: ${welcome.reason ?? "no reason given"}`);
      break;
    } catch (e) {
      if ((e as Error).message.startsWith("coordinator refused")) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const resume = welcome.resume;
  if (resume !== undefined && (resume.beforeSeq > 0 || resume.through !== null)) {
    // A run under way: this process replaces one that died. Rebuild its actors from the log first.
    if (welcome.log === "none") throw new Error(`cannot rebuild ${cfg.name}: the run writes no JetStream log (started with --no-jetstream)`);
    log(`${cfg.name}: re-joining a run under way: rebuilding from the log's first ${resume.beforeSeq} events`);
    const r = await rebuildFromJetStream(cfg.natsUrl, run, partitions, resume);
    if (r.divergence !== undefined) throw new Error(`rebuild of ${cfg.name} diverged at ${r.divergence.id}: log ${r.divergence.expected}, rebuilt ${r.divergence.actual}`);
    log(`${cfg.name}: rebuilt from ${r.events} events`);
    replayed = resume;
  }
  isReady = true;
  rebuilt();
  transport.publish(subjects.health, JSON.stringify({ service: cfg.name, state: "ready" }));
  log(`${cfg.name}: ready with ${owned.join(", ")}${shadows.length > 0 ? ` (shadowing ${shadows.join(", ")})` : ""}`);
  await done;
  // NATS drain: stop taking requests, run the callbacks of those already received (their replies
  // go out), flush, close. Only then are the actors let go.
  if (!transport.connection.isClosed()) await transport.connection.drain();
  for (const p of partitions) p.host.close();
  if (draining) log(`${cfg.name}: drained`);
}
