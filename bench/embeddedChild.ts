// The embedded side of `bench:mp`, in a fresh process of its own so that it starts as cold as the
// service processes it is compared with (a run in the bench's own process would reuse the JIT's
// work of the runs before it):
//   embeddedChild.ts <scenario.yaml> <seed> <events.jsonl>
// Prints one JSON line: { events, ms, digest } — only the run is timed, as on the multi-process side.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { setUpSimulation } from "../runtime/embeddedRun.ts";
import { JsonlLogSink } from "../shared/log/jsonlSink.ts";
import { parseScenario } from "../shared/scenario/loadScenario.ts";
import { createCatalogue } from "../services/catalogue.ts";

const [path, seedArg, logPath] = process.argv.slice(2);
if (path === undefined || seedArg === undefined || logPath === undefined) throw new Error("usage: embeddedChild.ts <scenario.yaml> <seed> <events.jsonl>");
const text = readFileSync(path, "utf8");
const loaded = { file: basename(path), text, scenario: parseScenario(text, path, createCatalogue()) };
const sink = new JsonlLogSink(logPath);
const sim = setUpSimulation({ loaded, seed: Number(seedArg), sink });
const t0 = performance.now();
const outcome = sim.run({ untilNs: loaded.scenario.duration });
const ms = performance.now() - t0;
await sim.close();
process.stdout.write(JSON.stringify({ events: outcome.events, ms, digest: sink.digest.hex() }) + "\n");
