import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setUpSimulation } from "../../runtime/embeddedRun.ts";
import { auditLogFile, createAudit } from "../../runtime/audit/audit.ts";
import type { AuditReport } from "../../runtime/audit/auditReport.ts";
import type { Envelope } from "../../shared/events/envelope.ts";
import { decodeInput } from "../../shared/events/input.ts";
import { JsonlLogSink } from "../../shared/log/jsonlSink.ts";
import { INPUT_SOURCES, INJECT_PATH } from "../../shared/runtime/simulation.ts";
import { loadScenarioFile, parseScenario } from "../../shared/scenario/loadScenario.ts";
import { createCatalogue } from "../../services/catalogue.ts";
import { encode } from "../../services/firmware/index.ts";
import { loadGpuModel } from "../../shared/gpu/loadModel.ts";
import { MS } from "./firmwareDriver.ts";
import { VA, bootFirmware, bringUpGpu, fwBench, startGroup, submitJobs, writeStream, type FwWorld } from "./fwBench.ts";
import type { FwHost } from "./fwHost.ts";
import type { Steps } from "./gpuBringUp.ts";

/** An input fed to a run as `tyrsim inject` would (source `injector`, path `fault.inject` unless given). */
export interface ExtraInput {
  readonly atNs: number;
  readonly type: string;
  readonly payload: unknown;
  readonly path?: string;
}

/** A finished run: its log file and its events. */
export interface LoggedRun {
  readonly log: string;
  readonly events: Envelope[];
}

/** A fresh temporary folder. */
export const tmp = (): string => mkdtempSync(join(tmpdir(), "tyrsim-audit-"));

/**
 * Run a scenario (a file, or YAML text) on the embedded runtime with extra injected inputs, its
 * log written as `tyrsim run` writes it; returns the log path and its events.
 */
export async function runLogged(scenario: { readonly file: string } | { readonly text: string }, extra: readonly ExtraInput[] = [], seed?: number): Promise<LoggedRun> {
  const registry = createCatalogue();
  const loaded = "file" in scenario ? loadScenarioFile(scenario.file, registry) : { file: "inline.yaml", text: scenario.text, scenario: parseScenario(scenario.text, "inline.yaml", registry) };
  const log = join(tmp(), "events.jsonl");
  const sink = new JsonlLogSink(log);
  const sim = setUpSimulation({ loaded, seed: seed ?? loaded.scenario.seed, sink, registry });
  for (const x of extra) {
    // Validated as the runtime validates what `tyrsim inject` publishes (defaults filled in).
    const d = decodeInput({ type: x.type, payload: x.payload }, `tyrsim.${sim.runId}.${INJECT_PATH}`, registry);
    if (!d.ok) throw new Error(`extra input rejected: ${d.rejection.field}: ${d.rejection.reason}`);
    sim.inputRaw(INPUT_SOURCES.injector, x.type, x.path ?? INJECT_PATH, d.input.payload, x.atNs);
  }
  const events: Envelope[] = [];
  sim.delivered().subscribe((e) => events.push(e));
  sim.run({ untilNs: loaded.scenario.duration });
  await sim.close();
  return { log, events };
}

/** Run a scenario (with extra inputs) and audit its log file. */
export async function runAndAudit(scenario: { readonly file: string } | { readonly text: string }, extra: readonly ExtraInput[] = []): Promise<LoggedRun & { report: AuditReport }> {
  const run = await runLogged(scenario, extra);
  return { ...run, report: auditLogFile(run.log) };
}

/**
 * A hand edit of a log file: `edit` gets the events (header kept) and returns the new list
 * (events changed, dropped or added); the result is written beside the original.
 */
export function editLog(log: string, edit: (events: Envelope[]) => Envelope[]): string {
  const [header, ...lines] = readFileSync(log, "utf8").split("\n").filter((l) => l.length > 0);
  const events = edit(lines.map((l) => JSON.parse(l) as Envelope));
  const out = log.replace(/\.jsonl$/, ".edited.jsonl");
  writeFileSync(out, [header, ...events.map((e) => JSON.stringify(e))].join("\n") + "\n");
  return out;
}

/** The first event of `type` (matching `where`), throwing when there is none. */
export function find(events: readonly Envelope[], type: string, where: (p: Record<string, unknown>) => boolean = () => true): Envelope {
  const e = events.find((x) => x.type === type && where(x.payload as Record<string, unknown>));
  if (e === undefined) throw new Error(`no ${type} in the log`);
  return e;
}

/** Audit events held in memory (a bench's log). */
export function auditEvents(events: readonly Envelope[]): AuditReport {
  const a = createAudit(undefined);
  for (const e of events) a.push(e);
  return a.finish();
}

export const G610 = loadGpuModel("mali-g610-rk3588");

/** A compute job, then a sync object set behind it (stream A of the firmware tests). */
const STREAM = [
  encode.move48(16, VA.spd), encode.move32(33, 63), encode.move32(37, 4), encode.move32(38, 1), encode.move32(39, 1),
  encode.runCompute(),
  encode.move48(0, VA.link), encode.move48(2, 1),
  encode.syncSet64(0, 2, { scope: "CSG", waitMask: 0b1, signalSlot: 1 }),
];

/**
 * The firmware bench (scripted driver, real hardware actors): probe, MCU boot, GLB init, CSG 0
 * started, one job stream submitted and run to its sync objects; then `then` (a fault, a ping).
 * Returns the bench with its log in memory.
 */
export function firmwareRun(then: (w: FwWorld, h: FwHost) => Steps = function* () {}) {
  const bench = fwBench(G610, function* (w) {
    yield* bringUpGpu(w);
    const h = yield* bootFirmware(w);
    if (h === undefined) throw new Error("MCU did not boot");
    if (!(yield* startGroup(w))) throw new Error("CSG 0 did not start");
    const size = yield* writeStream(w, VA.streams, STREAM);
    yield* submitJobs(w, [{ va: VA.streams, size }]);
    yield* h.waitUntil(() => w.u64(VA.link) === 1n);
    yield* h.waitUntil(() => false, 1 * MS);
    yield* then(w, h);
  });
  bench.run();
  return bench;
}
