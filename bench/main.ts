// tyrsim benchmarks: every figure measured in this one process run, and reported as a ratio to a
// baseline measured alongside it (these machines are noisy; a bare number means little).
//
//   npm run bench          full mode (README figures): 1,000,000-event replay log
//   npm run bench:quick    quick mode (CI): 100,000-event log, seconds
//
// Writes bench/results.json: [{ name, value, unit, ratio?: { numerator, denominator }, target? }].
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { firstValueFrom, filter, take, toArray } from "rxjs";
import { EventBus } from "../shared/bus/eventBus.ts";
import { MemoryTransport } from "../shared/bus/memoryTransport.ts";
import type { Transport } from "../shared/bus/transport.ts";
import type { Envelope } from "../shared/events/envelope.ts";
import { isReachable } from "../shared/process/natsServer.ts";
import { parseScenario } from "../shared/scenario/loadScenario.ts";
import { headerOf, queueSteps, runEmbedded, runIdOf } from "../runtime/embeddedRun.ts";
import { Coordinator } from "../runtime/multiprocess/coordinator.ts";
import { inProcessServices } from "../runtime/multiprocess/inProcessServices.ts";
import { JsonlLogSink } from "../shared/log/jsonlSink.ts";
import { replayLog } from "../runtime/replay.ts";
import { createCatalogue } from "../services/catalogue.ts";
import { bareDispatch, bareJsonlWrite, bareReadParse, loadEvents } from "./baselines.ts";
import { formatTable, rate, ratioOf, type BenchResult } from "./measure.ts";

const quick = process.argv.includes("--quick");
const REPLAY_EVENTS = quick ? 100_000 : 1_000_000;
const TRANSPORT_EVENTS = quick ? 50_000 : 200_000;
const dir = mkdtempSync(join(tmpdir(), "tyrsim-bench-"));
const registry = createCatalogue();
const results: BenchResult[] = [];
const add = (r: BenchResult): BenchResult => (results.push(r), r);

/** The power-cycle scenario scaled to about `events` events (6 events a 100 µs cycle). */
function powerCycle(events: number) {
  const cycles = Math.ceil(events / 6);
  const text = readFileSync("scenarios/power-cycle.yaml", "utf8")
    .replace(/count: \d+/g, `count: ${cycles}`)
    .replace(/duration: \S+/, `duration: ${cycles * 100}us`);
  return { file: "power-cycle.yaml", text, scenario: parseScenario(text, "power-cycle.yaml", registry) };
}

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

// 1. A real log: the power-cycle scenario through the embedded runtime (validated inputs, XState
//    power machines, JSON-lines log with digest). Its events feed every other figure.
const runLog = await rate(async () => (await runEmbedded({ loaded: powerCycle(REPLAY_EVENTS), outDir: join(dir, "run") })).events);
const logPath = join(dir, "run", "events.jsonl");
const events = loadEvents(logPath);
const sample = events.slice(0, TRANSPORT_EVENTS);

// 2. Baselines, measured now, on the same events.
const dispatch = add({ name: "baseline.dispatch", value: (await rate(() => bareDispatch(sample), 3)).perSecond, unit: "events/s", note: "bare in-process dispatch loop" });
const jsonlWrite = add({ name: "baseline.jsonl-write", value: (await rate(() => bareJsonlWrite(events, join(dir, "bare.jsonl")), 2)).perSecond, unit: "events/s", note: "bare batched JSON-lines write of the run's events" });
const readParse = add({ name: "baseline.read-parse", value: (await rate(() => bareReadParse(logPath), 2)).perSecond, unit: "events/s", note: "bare line read + JSON.parse of the run's log" });

// 3. The runtime, the transports and replay.
const embedded = add({ name: "embedded.power-cycle", value: runLog.perSecond, unit: "events/s", note: `${runLog.events} events, logged` });
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
  process.stderr.write(`bench: no NATS server at ${natsUrl}; transport.nats skipped\n`);
}
// The coordinator protocol's cost, without sockets: every actor kind in its own service, each level a
// JSON round trip validated by the protocol schemas (the multi-process runtime minus NATS).
const coordinated = add({
  name: "coordinator.inprocess",
  value: (
    await rate(async () => {
      const loaded = powerCycle(Math.min(REPLAY_EVENTS, 100_000));
      const run = runIdOf(loaded.scenario, 1);
      const sink = new JsonlLogSink(join(dir, "coord.jsonl"));
      sink.writeHeader(headerOf(loaded, 1));
      const coordinator = new Coordinator({ run, sink, services: inProcessServices(run, 1, loaded.scenario) });
      queueSteps(coordinator, loaded.scenario);
      const outcome = await coordinator.run(loaded.scenario.duration);
      await sink.close();
      return outcome.events;
    })
  ).perSecond,
  unit: "events/s",
  note: "7 in-process services, JSON round trips per level",
});
const replay = add({ name: "replay.power-cycle", value: (await rate(async () => (await replayLog(logPath)).events)).perSecond, unit: "events/s", note: `${events.length} events` });

// 4. Ratios: what our machinery costs against the bare loops.
add(ratioOf("ratio.memory/dispatch", memory, dispatch));
if (nats !== undefined) add(ratioOf("ratio.nats/dispatch", nats, dispatch));
add(ratioOf("ratio.replay/dispatch", replay, dispatch));
add(ratioOf("ratio.embedded/jsonl-write", embedded, jsonlWrite, 0.5));
add(ratioOf("ratio.replay/read-parse", replay, readParse, 0.5));
add(ratioOf("ratio.coordinator/embedded", coordinated, embedded));

rmSync(dir, { recursive: true, force: true });
process.stdout.write(`tyrsim bench (${quick ? "quick" : "full"}; node ${process.version})\n${formatTable(results)}\n`);
writeFileSync("bench/results.json", JSON.stringify({ mode: quick ? "quick" : "full", node: process.version, results }, null, 2) + "\n");
