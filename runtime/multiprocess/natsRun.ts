import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Envelope } from "../../shared/events/envelope.ts";
import { JsonlLogSink } from "../../shared/log/jsonlSink.ts";
import { openJetStreamLogSink } from "../../shared/log/jetstreamSink.ts";
import { TeeSink } from "../../shared/log/teeSink.ts";
import type { LoadedScenario } from "../../shared/scenario/loadScenario.ts";
import { headerOf, runIdOf } from "../embeddedRun.ts";
import { RunStats, type RunSummary } from "../runStats.ts";
import { runNatsCoordinator } from "./natsCoordinator.ts";
import type { ClientServerOptions } from "../clients/clientServer.ts";

/** Options of a coordinated (multi-process) run. */
export interface CoordinatedRunOptions {
  readonly loaded: LoadedScenario;
  readonly seed?: number;
  readonly outDir?: string;
  readonly natsUrl: string;
  readonly services: readonly string[];
  readonly log?: (line: string) => void;
  /** Also write the log to JetStream (stream TYRSIM_LOG, subject tyrsimlog.<run>), replacing an earlier record of the run. */
  readonly jetstream?: boolean;
  /** How long a silent or killed service may stay away before the run is given up (ServiceLostError). */
  readonly graceMs?: number;
  /** Called with every delivered event (tests: act at a chosen point of the run). */
  readonly onDelivered?: (e: Envelope) => void;
  /** Serve remote user-space clients, holding virtual time while they are attached (`--clients`). */
  readonly clients?: ClientServerOptions;
  /** Step the GPUs of a fleet independently (default true): `--no-lookahead` turns it off. */
  readonly lookahead?: boolean;
}

/**
 * `tyrsim coordinate`: wait for the services, run the scenario across them, and write the run
 * folder exactly as the embedded runtime does (`events.jsonl`, `summary.json`), so the two can be
 * compared byte for byte.
 */
export async function runCoordinated(opts: CoordinatedRunOptions): Promise<RunSummary & { rounds: number }> {
  const { scenario } = opts.loaded;
  const seed = opts.seed ?? scenario.seed;
  const run = runIdOf(scenario, seed);
  const outDir = opts.outDir ?? join("runs", run);
  mkdirSync(outDir, { recursive: true });
  const logPath = join(outDir, "events.jsonl");
  const file = new JsonlLogSink(logPath);
  // The attempt token only names this writing of the run in JetStream msgIDs; it never enters the log.
  const sink = opts.jetstream === true ? new TeeSink([file, await openJetStreamLogSink(opts.natsUrl, run, { replace: { attempt: attemptToken() } })]) : file;
  sink.writeHeader(headerOf(opts.loaded, seed));
  const stats = new RunStats();
  const outcome = await runNatsCoordinator({
    natsUrl: opts.natsUrl,
    loaded: opts.loaded,
    seed,
    sink,
    expect: opts.services,
    onDelivered: (e) => {
      stats.add(e);
      opts.onDelivered?.(e);
    },
    jetstreamLog: opts.jetstream === true,
    ...(opts.graceMs !== undefined ? { graceMs: opts.graceMs } : {}),
    ...(opts.log !== undefined ? { log: opts.log } : {}),
    ...(opts.clients !== undefined ? { clients: opts.clients } : {}),
    ...(opts.lookahead !== undefined ? { lookahead: opts.lookahead } : {}),
  }).catch(async (e: unknown) => {
    // The run was given up (a service lost for good): keep what was logged, then report.
    await sink.close().catch(() => {});
    throw e;
  });
  await sink.close();
  const summary = stats.summary({ run, scenario, seed, runtime: "multi-process", outcome, digest: file.digest.hex(), log: logPath });
  writeFileSync(join(outDir, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
  return { ...summary, rounds: outcome.rounds };
}

/** A token naming one writing of a run (wall-clock based: this is the I/O shell, not the simulation). */
function attemptToken(): string {
  return `w${Date.now().toString(36)}${process.pid.toString(36)}`;
}
