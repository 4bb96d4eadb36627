// tyrsim benchmarks (issue #9): every figure measured in this one process run, and reported as a
// ratio to a baseline measured alongside it (these machines are noisy; a bare number means little).
//
//   npm run bench          full mode (README figures): 1,000,000-event power-cycle log, the frames
//                          scenario stretched to B2's 60 s of virtual time, and B3's memory run
//                          (10,000,000 events, own processes; minutes)
//   npm run bench:quick    quick mode (CI, seconds): 100,000-event log, frames-short, no memory run
//
// Throughputs (events/s) are per CPU second of this process (see `rate` in measure.ts: the machines
// are shared, and CPU time is what the code costs); B2's virtual/wall ratio is wall-clock.
// Options: --memory-events N (full mode's memory run size; 0 skips it). TYRSIM_BENCH_GATE=report
// prints gate failures without the non-zero exit.
// Writes bench/results.json: { mode, node, results: [{ name, value, unit, ratio?: { numerator,
// denominator, numeratorValue, denominatorValue }, target?, gated?, limit?, note? }] }, and exits 1
// with a message per figure when a gated ratio falls below half its target (the CI gate).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { firstValueFrom, filter, take, toArray } from "rxjs";
import { EventBus } from "../shared/bus/eventBus.ts";
import { MemoryTransport } from "../shared/bus/memoryTransport.ts";
import type { Transport } from "../shared/bus/transport.ts";
import type { Envelope } from "../shared/events/envelope.ts";
import { isReachable } from "../shared/process/natsServer.ts";
import { parseScenario, type LoadedScenario } from "../shared/scenario/loadScenario.ts";
import { headerOf, runEmbedded, runIdOf, setUpSimulation, type RunSummary } from "../runtime/embeddedRun.ts";
import { Coordinator } from "../runtime/multiprocess/coordinator.ts";
import { inProcessServices } from "../runtime/multiprocess/inProcessServices.ts";
import { JsonlLogSink, NullLogSink } from "../shared/log/jsonlSink.ts";
import { replayLog } from "../runtime/replay.ts";
import { auditLogFile } from "../runtime/audit/audit.ts";
import { createCatalogue } from "../services/catalogue.ts";
import { bareDispatch, bareJsonlWrite, bareReadParse, loadEvents } from "./baselines.ts";
import { measureMemory } from "./memory.ts";
import { formatTable, gateFailures, rate, ratesInTurns, ratioOf, unmetTargets, type BenchResult } from "./measure.ts";
import { B2_VIRTUAL_SECONDS, scaledFrames, scaledScenario } from "./scaledScenario.ts";

const quick = process.argv.includes("--quick");
const memoryArg = process.argv.indexOf("--memory-events");
const MEMORY_EVENTS = quick ? 0 : memoryArg > 0 ? Number(process.argv[memoryArg + 1]) : 10_000_000;
const LOG_EVENTS = quick ? 100_000 : 1_000_000;
const TRANSPORT_EVENTS = quick ? 50_000 : 200_000;
/** B1/B2 load: the frames scenario (frames-short in quick mode), when the workload has landed. */
const FRAMES_FILE = [quick ? "scenarios/frames-short.yaml" : "scenarios/frames.yaml"].find(existsSync);
/** Full mode runs frames for B2's 60 s of virtual time (issue #9); quick mode runs frames-short as it is. */
const FRAMES_SECONDS = quick ? undefined : B2_VIRTUAL_SECONDS;
const MB = 2 ** 20;

const dir = mkdtempSync(join(tmpdir(), "tyrsim-bench-"));
const registry = createCatalogue();
const results: BenchResult[] = [];
const add = (r: BenchResult): BenchResult => (results.push(r), r);
const say = (s: string): void => void process.stderr.write(`bench: ${s}\n`);

/** Events per second through an EventBus on `transport`, publisher and subscriber in this process. */
async function throughBus(transport: Transport, events: readonly Envelope[]): Promise<number> {
  const run = (events[0] as Envelope).run;
  const bus = new EventBus(transport, registry, { run, service: "bench", trustInProcessObjects: true });
  const last = events.length - 1;
  const done = firstValueFrom(bus.events(`tyrsim.${run}.>`).pipe(filter((e) => e.seq === last), take(1), toArray()));
  for (const e of events) bus.publish(e);
  await transport.flush();
  await done;
  return events.length;
}

/**
 * A repeatable embedded run of `loaded` into `out`: each `run()` runs it again and returns its
 * events; `summary()` is the latest run's, `fastestWallMs` the quickest run's wall time.
 */
function embeddedRuns(loaded: LoadedScenario, out: string): { run: () => Promise<number>; summary: () => RunSummary; fastestWallMs: () => number } {
  let summary: RunSummary | undefined;
  let fastest = Number.POSITIVE_INFINITY;
  return {
    run: async () => {
      const t0 = performance.now();
      summary = await runEmbedded({ loaded, outDir: out });
      fastest = Math.min(fastest, performance.now() - t0);
      return summary.events;
    },
    summary: () => summary as RunSummary,
    fastestWallMs: () => fastest,
  };
}

// Each ratio's two sides are timed in turns (`ratesInTurns`), the best of each kept: a slow spell
// of this shared machine then slows both sides, not one. Quick mode takes more turns of its short
// loads (the first also warms the JIT).
const TURNS = quick ? 3 : 2;

// B1 (power-cycle): the runtime's own cost. The power-cycle scenario through the embedded runtime
// (XState power machines, every event logged as JSON lines with the running digest) against a bare
// batched JSON-lines write of the very events it logged. Its log feeds the other figures.
say(`power-cycle, ${LOG_EVENTS.toLocaleString("en-US")} events`);
const cycleRuns = embeddedRuns(scaledScenario("scenarios/power-cycle.yaml", LOG_EVENTS, registry), join(dir, "run"));
const firstCycle = await rate(cycleRuns.run);
const logPath = join(dir, "run", "events.jsonl");
const events = loadEvents(logPath);
const sample = events.slice(0, TRANSPORT_EVENTS);
const b1 = await ratesInTurns({ run: cycleRuns.run, write: () => bareJsonlWrite(events, join(dir, "bare.jsonl")) }, TURNS, { run: firstCycle });

// Baselines, measured now, on the same events: the floor every figure is compared against.
const dispatch = add({ name: "baseline.dispatch", value: (await rate(() => bareDispatch(sample), 3)).perSecond, unit: "events/s", note: "bare in-process dispatch loop" });
const jsonlWrite = add({ name: "baseline.jsonl-write", value: b1.write.perSecond, unit: "events/s", note: "bare batched JSON-lines write of the run's events" });
const embeddedCycle = add({ name: "embedded.power-cycle", value: b1.run.perSecond, unit: "events/s", note: `${cycleRuns.summary().events} events, every one logged` });
// The same run with the log left out (a sink that keeps nothing): what the actors and the runtime
// cost on their own, so the table shows how much of the embedded figure is the log.
const unloggedLoad = scaledScenario("scenarios/power-cycle.yaml", LOG_EVENTS, registry);
const unlogged = add({
  name: "embedded.power-cycle.unlogged",
  value: (
    await rate(() => {
      const sim = setUpSimulation({ loaded: unloggedLoad, seed: unloggedLoad.scenario.seed, sink: new NullLogSink(), registry });
      const events = sim.run({ untilNs: unloggedLoad.scenario.duration }).events;
      void sim.close();
      return events;
    })
  ).perSecond,
  unit: "events/s",
  note: "the same run, nothing logged",
});

// B3 (speed): replay re-runs the log's scenario and holds every line it makes against the log
// (by digest, `runtime/replay.ts`); audit streams the log through every invariant. Both against a
// bare read + JSON.parse of the same log, the three timed in turns.
say("replay and audit");
const b3 = await ratesInTurns({ replay: async () => (await replayLog(logPath)).events, audit: () => auditLogFile(logPath).run.events, readParse: () => bareReadParse(logPath) }, TURNS);
const readParse = add({ name: "baseline.read-parse", value: b3.readParse.perSecond, unit: "events/s", note: "bare line read + JSON.parse of the run's log" });
const replay = add({ name: "replay.power-cycle", value: b3.replay.perSecond, unit: "events/s", note: `${events.length} events` });
const audit = add({ name: "audit.power-cycle", value: b3.audit.perSecond, unit: "events/s", note: `${events.length} events` });

// B1/B2 (frames): the whole stack — probe, firmware, two clients submitting frames at 60 fps — on
// the embedded runtime, against a bare JSON-lines write of its own events; and its virtual time
// against the wall time it took. Full mode runs the issue's B2 load, 60 s of virtual time (about
// 680,000 events, long enough that the JIT's warm-up is a small part of it) twice, in turns with
// the bare write; quick mode runs frames-short four times (the first runs warm the JIT). The best
// of each is kept; B2's wall time is the quickest run's.
let framesRun: BenchResult | undefined;
let framesWrite: BenchResult | undefined;
if (FRAMES_FILE !== undefined) {
  const text = readFileSync(FRAMES_FILE, "utf8");
  const loaded = FRAMES_SECONDS === undefined ? { file: FRAMES_FILE, text, scenario: parseScenario(text, FRAMES_FILE, registry) } : scaledFrames(FRAMES_FILE, FRAMES_SECONDS, registry);
  say(`${FRAMES_FILE}${FRAMES_SECONDS === undefined ? "" : `, stretched to ${FRAMES_SECONDS} s of frames`}`);
  const framesRuns = embeddedRuns(loaded, join(dir, "frames"));
  const firstFrames = await rate(framesRuns.run);
  const framesEvents = loadEvents(framesRuns.summary().log);
  const b1Frames = await ratesInTurns({ run: framesRuns.run, write: () => bareJsonlWrite(framesEvents, join(dir, "bare-frames.jsonl")) }, quick ? TURNS : 1, { run: firstFrames });
  const frames = { perSecond: b1Frames.run.perSecond, ms: framesRuns.fastestWallMs(), summary: framesRuns.summary() };
  framesWrite = add({ name: "baseline.jsonl-write.frames", value: b1Frames.write.perSecond, unit: "events/s", note: "bare batched JSON-lines write of the frames run's events" });
  framesRun = add({ name: "embedded.frames", value: frames.perSecond, unit: "events/s", note: `${loaded.scenario.name}: ${frames.summary.events} events` });
  const dropped = frames.summary.rejected + frames.summary.actorFailures;
  add({ name: "frames.dropped", value: dropped, unit: "events", limit: 0, gated: true, note: "MessageRejected + ActorHandlerFailed (must be 0)" });
  add({ name: "frames.skipped", value: frames.summary.eventsByType["FrameSkipped"] ?? 0, unit: "frames", note: "vsyncs skipped by the clients (frames in flight at their limit)" });
  add({
    name: "ratio.frames.virtual/wall",
    value: frames.summary.virtualTimeNs / 1e6 / frames.ms,
    unit: "ratio",
    ratio: { numerator: "frames virtual ms", denominator: "frames wall ms", numeratorValue: frames.summary.virtualTimeNs / 1e6, denominatorValue: frames.ms },
    target: 100,
    gated: false,
  });
  // B2's ceiling at this event granularity: how far ahead of real time the frames run would be if
  // writing its log were all it cost (virtual time / the bare write's time for the same events). A
  // target above this figure cannot be met without dropping events, which the issue rules out.
  const bareWriteMs = (frames.summary.events / framesWrite.value) * 1000;
  add({
    name: "ratio.frames.virtual/bare-write",
    value: frames.summary.virtualTimeNs / 1e6 / bareWriteMs,
    unit: "ratio",
    ratio: { numerator: "frames virtual ms", denominator: "bare write ms of its events", numeratorValue: frames.summary.virtualTimeNs / 1e6, denominatorValue: bareWriteMs },
    note: "the frames log's own write, alone: B2's ceiling at this granularity",
  });
} else {
  say("no scenarios/frames.yaml: the frames figures are skipped");
}

// The transports and the coordinator protocol.
say("transports and coordinator");
const memory = add({ name: "transport.memory", value: (await rate(() => throughBus(new MemoryTransport(), sample), 3)).perSecond, unit: "events/s" });
const natsUrl = process.env["TYRSIM_NATS_URL"] ?? "nats://127.0.0.1:4222";
const natsHost = new URL(natsUrl.replace(/^nats:/, "http:"));
let nats: BenchResult | undefined;
if (await isReachable(natsHost.hostname, Number(natsHost.port || 4222))) {
  const { connectNatsTransport } = await import("../shared/bus/natsTransport.ts");
  const transport = await connectNatsTransport({ servers: natsUrl, name: "tyrsim-bench", waitOnFirstConnect: false });
  nats = add({ name: "transport.nats", value: (await rate(() => throughBus(transport, sample), 2)).perSecond, unit: "events/s" });
  await transport.close();
} else {
  say(`no NATS server at ${natsUrl}; transport.nats skipped`);
}
// The coordinator protocol's cost, without sockets: every actor kind in its own service, each level a
// JSON round trip validated by the protocol schemas (the multi-process runtime minus NATS).
const coordinated = add({
  name: "coordinator.inprocess",
  value: (
    await rate(async () => {
      const loaded = scaledScenario("scenarios/power-cycle.yaml", Math.min(LOG_EVENTS, 100_000), registry);
      const run = runIdOf(loaded.scenario, 1);
      const sink = new JsonlLogSink(join(dir, "coord.jsonl"));
      sink.writeHeader(headerOf(loaded, 1));
      const coordinator = new Coordinator({ run, sink, services: inProcessServices(run, 1, loaded.scenario) });
      coordinator.queueSteps(loaded.scenario);
      const outcome = await coordinator.run(loaded.scenario.duration);
      await sink.close();
      return outcome.events;
    })
  ).perSecond,
  unit: "events/s",
  note: "7 in-process services, JSON round trips per level",
});

// Ratios: what our machinery costs against the bare loops. B1 (power-cycle and frames) and B3's
// speed are gated; B2's speed-up over real time is wall-clock, and reported only.
add(ratioOf("ratio.memory/dispatch", memory, dispatch));
if (nats !== undefined) add(ratioOf("ratio.nats/dispatch", nats, dispatch));
// Floors: the levels reached so far in quick mode (CI), guarded against regression until the targets are met.
add(ratioOf("ratio.embedded/jsonl-write", embeddedCycle, jsonlWrite, { value: 0.5, gated: true, floor: 0.24 }));
add(ratioOf("ratio.embedded/unlogged", embeddedCycle, unlogged));
if (framesRun !== undefined && framesWrite !== undefined) add(ratioOf("ratio.embedded.frames/jsonl-write", framesRun, framesWrite, { value: 0.5, gated: true, floor: 0.04 }));
add(ratioOf("ratio.replay/read-parse", replay, readParse, { value: 0.5, gated: true, floor: 0.28 }));
add(ratioOf("ratio.audit/read-parse", audit, readParse, { value: 0.5, gated: true }));
add(ratioOf("ratio.coordinator/embedded", coordinated, embeddedCycle));

// B3 (memory): a long run, its replay and its audit, each in its own process, with its peak RSS.
if (MEMORY_EVENTS > 0) {
  say(`memory: ${MEMORY_EVENTS.toLocaleString("en-US")}-event run, replay and audit (minutes)`);
  for (const f of measureMemory(MEMORY_EVENTS)) {
    add({ name: `memory.${f.mode}.peak-rss`, value: f.peakRssBytes / MB, unit: "MB", limit: 300, gated: true, note: `${f.events} events in ${(f.ms / 1000).toFixed(0)} s` });
  }
}

rmSync(dir, { recursive: true, force: true });
process.stdout.write(`tyrsim bench (${quick ? "quick" : "full"}; node ${process.version})\n${formatTable(results)}\n`);
writeFileSync("bench/results.json", JSON.stringify({ mode: quick ? "quick" : "full", node: process.version, results }, null, 2) + "\n");
const unmet = unmetTargets(results);
if (unmet.length > 0) process.stderr.write(`\nbench: ${unmet.length} target(s) of issue #9 not met yet:\n${unmet.map((u) => `  ${u}\n`).join("")}`);
const failures = gateFailures(results);
if (failures.length > 0) {
  // TYRSIM_BENCH_GATE=report prints the failures without failing (a maintainer's explicit choice).
  const enforce = process.env["TYRSIM_BENCH_GATE"] !== "report";
  process.stderr.write(`\nbench: ${enforce ? "FAILED" : "gate off (TYRSIM_BENCH_GATE=report)"} — ${failures.length} figure(s) out of bounds:\n${failures.map((f) => `  ${f}\n`).join("")}`);
  if (enforce) process.exitCode = 1;
}
