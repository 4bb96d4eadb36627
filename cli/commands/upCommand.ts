import { resolve } from "node:path";
import { loadScenarioFile } from "../../shared/scenario/loadScenario.ts";
import { createCatalogue } from "../../services/catalogue.ts";
import { composeServices, gpuServices, shardServices } from "../../runtime/multiprocess/composeServices.ts";
import { runCoordinated } from "../../runtime/multiprocess/natsRun.ts";
import { natsForUp, stopServices } from "../../runtime/multiprocess/natsUp.ts";
import { SupervisedService, type RestartPolicy } from "../../runtime/multiprocess/supervisor.ts";
import { ServiceLostError } from "../../runtime/multiprocess/natsServiceWatch.ts";
import { formatSummary } from "./runCommand.ts";
import { wallClock } from "../wallClock.ts";
import { runIdOf } from "../../runtime/embeddedRun.ts";

/** Options of `tyrsim up` and `tyrsim coordinate`. */
export interface UpOptions {
  readonly seed?: number;
  readonly out?: string;
  readonly nats?: string;
  readonly json?: boolean;
  readonly services?: string;
  /** Spread the GPUs of a fleet over this many processes per service (GPU g goes to shard g mod K). */
  readonly shards?: number;
  /** Write the log to JetStream too (default true). */
  readonly jetstream?: boolean;
  /** Restart policy of service processes (`tyrsim up`): on-failure (default) or no. */
  readonly restart?: string;
  /** Seconds a service may stay silent or dead before the run is given up (exit 1). */
  readonly grace?: number;
  /** Serve remote user-space clients over NATS, holding virtual time until one attaches and while any is attached. */
  readonly clients?: boolean;
  /** Step a fleet's GPUs independently, each at its own next level (default true; `--no-lookahead`). */
  readonly lookahead?: boolean;
  /** Instead of one process per actor kind: this many processes, each hosting whole GPUs it runs ahead on its own. */
  readonly gpuProcesses?: number;
}

const log = (l: string) => process.stderr.write(l + "\n");

/** With `--clients`: say where clients attach, and report them as they come and go (as `tyrsim run --clients` does). */
function clientsOption(opts: UpOptions, run: string): { clients?: { onClient: (c: string, op: string) => void } } {
  if (opts.clients !== true) return {};
  log(`waiting for clients on tyrsim.${run}.ctl.client (virtual time holds until one attaches)`);
  return { clients: { onClient: (c, op) => log(`client ${c}: ${op}ed`) } };
}

/**
 * `tyrsim up <scenario>`: the multi-process run on this machine — a NATS server (given, found on
 * 127.0.0.1:4222, or started), every actor service of docker-compose.yml as its own process, and
 * the coordinator here; the run folder is written as the embedded runtime writes it.
 */
export async function upCommand(file: string, opts: UpOptions): Promise<number> {
  const loaded = loadScenarioFile(file, createCatalogue());
  const seed = opts.seed ?? loaded.scenario.seed;
  const nats = await natsForUp(opts.nats, log);
  if (opts.gpuProcesses !== undefined && opts.shards !== undefined) throw new Error("--gpu-processes and --shards are two different deployments: give one");
  const services = opts.gpuProcesses !== undefined ? gpuServices(opts.gpuProcesses, loaded.scenario.gpus) : shardServices(composeServices(), opts.shards ?? 1, loaded.scenario.gpus);
  const env = { TYRSIM_NATS_URL: nats.url, TYRSIM_SCENARIO: resolve(file), TYRSIM_SEED: String(seed) };
  const policy = restartPolicyOf(opts.restart);
  const supervised = services.map((s, i) => new SupervisedService(s, i, env, log, { policy }));
  const started = wallClock();
  try {
    const summary = await runCoordinated({
      loaded, seed, natsUrl: nats.url, services: services.map((s) => s.name), log, jetstream: opts.jetstream !== false,
      ...clientsOption(opts, runIdOf(loaded.scenario, seed)),
      ...(opts.lookahead === false ? { lookahead: false } : {}),
      ...(opts.out !== undefined ? { outDir: opts.out } : {}),
      ...(opts.grace !== undefined ? { graceMs: opts.grace * 1000 } : {}),
    }).catch((e: unknown) => {
      if (e instanceof ServiceLostError) return undefined;
      throw e;
    });
    if (summary === undefined) {
      // The coordinator has said whom it waited for and since when; exit non-zero rather than hang.
      log("tyrsim up: the run was given up: a service stayed away past the grace period (--grace)");
      return 1;
    }
    const wallMs = wallClock() - started;
    for (const s of supervised) s.stop();
    await stopServices(supervised.map((s) => s.process));
    process.stdout.write(opts.json === true ? JSON.stringify(summary, null, 2) + "\n" : formatSummary(summary, wallMs) + `  services:     ${services.length} processes, ${summary.rounds} coordination rounds\n` + (opts.jetstream !== false ? `  jetstream:    ${nats.url}/${summary.run}\n` : ""));
    return summary.actorFailures > 0 ? 1 : 0;
  } finally {
    for (const s of supervised) {
      s.stop();
      if (s.process.child.exitCode === null) s.process.child.kill("SIGTERM");
    }
    await nats.server?.dispose();
  }
}

/** `tyrsim coordinate <scenario> --services a,b,…`: only the coordinator, for deployments that start services themselves (compose). */
export async function coordinateCommand(file: string, opts: UpOptions): Promise<number> {
  const loaded = loadScenarioFile(file, createCatalogue());
  const natsUrl = opts.nats ?? "nats://127.0.0.1:4222";
  const services = (opts.services ?? composeServices().map((s) => s.name).join(",")).split(",").filter((s) => s.length > 0);
  const started = wallClock();
  const summary = await runCoordinated({
    loaded, natsUrl, services, log, jetstream: opts.jetstream !== false,
    ...clientsOption(opts, runIdOf(loaded.scenario, opts.seed ?? loaded.scenario.seed)),
    ...(opts.lookahead === false ? { lookahead: false } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.out !== undefined ? { outDir: opts.out } : {}),
    ...(opts.grace !== undefined ? { graceMs: opts.grace * 1000 } : {}),
  });
  process.stdout.write(opts.json === true ? JSON.stringify(summary, null, 2) + "\n" : formatSummary(summary, wallClock() - started));
  return summary.actorFailures > 0 ? 1 : 0;
}

/** The `--restart` policy, checked. */
function restartPolicyOf(value: string | undefined): RestartPolicy {
  if (value === undefined || value === "on-failure" || value === "no") return value ?? "on-failure";
  throw new Error(`--restart must be on-failure or no, got '${value}'`);
}
