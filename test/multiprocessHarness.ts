import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Envelope } from "../shared/events/envelope.ts";
import { loadScenarioFile, type LoadedScenario } from "../shared/scenario/loadScenario.ts";
import { createCatalogue } from "../services/catalogue.ts";
import { runEmbedded } from "../runtime/embeddedRun.ts";
import { composeServices, type ComposeService } from "../runtime/multiprocess/composeServices.ts";
import { runCoordinated } from "../runtime/multiprocess/natsRun.ts";
import { stopServices } from "../runtime/multiprocess/natsUp.ts";
import { SupervisedService, type RestartPolicy } from "../runtime/multiprocess/supervisor.ts";

/** What a multi-process run in a test did: its summary (or the error that ended it) and every line the coordinator and services wrote. */
export interface TestUpResult {
  readonly summary?: Awaited<ReturnType<typeof runCoordinated>>;
  readonly error?: Error;
  readonly lines: readonly string[];
  readonly restarts: ReadonlyMap<string, number>;
}

/** Options of `runUp`. */
export interface TestUpOptions {
  readonly natsUrl: string;
  readonly scenario: string;
  readonly seed: number;
  readonly restart?: RestartPolicy;
  readonly graceMs?: number;
  /** The service processes (default: docker-compose.yml's, one per actor kind). */
  readonly services?: readonly ComposeService[];
  /** Called with each delivered event and the supervised services (kill one, restart NATS, …). */
  readonly onDelivered?: (e: Envelope, services: ReadonlyMap<string, SupervisedService>) => void;
}

/**
 * `tyrsim up` in the test's process: every service of docker-compose.yml as a real supervised
 * process, the coordinator here with the log in JetStream, so a test can act on the processes at a
 * chosen event of the run.
 */
export async function runUp(opts: TestUpOptions): Promise<TestUpResult> {
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);
  const loaded = loadScenarioFile(opts.scenario, createCatalogue());
  const env = { TYRSIM_NATS_URL: opts.natsUrl, TYRSIM_SCENARIO: resolve(opts.scenario), TYRSIM_SEED: String(opts.seed) };
  const services = opts.services ?? composeServices();
  const supervised = new Map(services.map((s, i) => [s.name, new SupervisedService(s, i, env, log, { policy: opts.restart ?? "on-failure" })]));
  try {
    const summary = await runCoordinated({
      loaded,
      seed: opts.seed,
      natsUrl: opts.natsUrl,
      services: services.map((s) => s.name),
      log,
      jetstream: true,
      outDir: mkdtempSync(join(tmpdir(), "tyrsim-up-")),
      ...(opts.graceMs !== undefined ? { graceMs: opts.graceMs } : {}),
      ...(opts.onDelivered !== undefined ? { onDelivered: (e: Envelope) => opts.onDelivered?.(e, supervised) } : {}),
    });
    return { summary, lines, restarts: restartsOf(supervised) };
  } catch (e) {
    return { error: e as Error, lines, restarts: restartsOf(supervised) };
  } finally {
    for (const s of supervised.values()) s.stop();
    const procs = [...supervised.values()].map((s) => s.process);
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGTERM");
    await stopServices(procs, 2000);
  }
}

function restartsOf(supervised: ReadonlyMap<string, SupervisedService>): Map<string, number> {
  return new Map([...supervised].map(([n, s]) => [n, s.restarts]));
}

/** The embedded runtime's digest and event count for a scenario and seed (the reference a multi-process run must match). */
export async function embeddedDigest(scenario: string | LoadedScenario, seed: number): Promise<{ digest: string; events: number; log: string }> {
  const loaded = typeof scenario === "string" ? loadScenarioFile(scenario, createCatalogue()) : scenario;
  const r = await runEmbedded({ loaded, seed, outDir: mkdtempSync(join(tmpdir(), "tyrsim-emb-")) });
  return { digest: r.digest, events: r.events, log: r.log };
}
