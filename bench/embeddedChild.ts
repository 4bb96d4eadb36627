// The embedded side of `bench:mp`, in a fresh process of its own so that it starts as cold as the
// service processes it is compared with (a run in the bench's own process would reuse the JIT's
// work of the runs before it):
//   embeddedChild.ts <scenario.yaml> <seed> <events.jsonl> [--times K] [--on-go]
// Prints one JSON line: { events, ms, digest } — only the run is timed, as on the multi-process side.
// `--times K` runs the scenario K times over (each a fresh simulation writing the same log; events
// and ms are the totals, the digest the last run's). `--on-go` prints "ready" once loaded and waits
// for a line on stdin before it starts timing: runs in several processes started together
// (`bench/multiprocess.ts`, the machine's parallel ceiling) then overlap whatever their start-up.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { createInterface } from "node:readline";
import { setUpSimulation } from "../runtime/embeddedRun.ts";
import { JsonlLogSink } from "../shared/log/jsonlSink.ts";
import { parseScenario } from "../shared/scenario/loadScenario.ts";
import { createCatalogue } from "../services/catalogue.ts";

const [path, seedArg, logPath, ...options] = process.argv.slice(2);
if (path === undefined || seedArg === undefined || logPath === undefined) throw new Error("usage: embeddedChild.ts <scenario.yaml> <seed> <events.jsonl> [--times K] [--on-go]");
const timesAt = options.indexOf("--times");
const times = timesAt < 0 ? 1 : Number(options[timesAt + 1]);
if (!Number.isInteger(times) || times < 1) throw new Error(`--times needs a whole number of at least 1, got '${options[timesAt + 1] ?? ""}'`);
const text = readFileSync(path, "utf8");
const loaded = { file: basename(path), text, scenario: parseScenario(text, path, createCatalogue()) };
if (options.includes("--on-go")) {
  process.stdout.write("ready\n");
  const lines = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => lines.once("line", () => resolve()));
  lines.close();
}
let events = 0;
let ms = 0;
let digest = "";
for (let i = 0; i < times; i++) {
  const sink = new JsonlLogSink(logPath);
  const sim = setUpSimulation({ loaded, seed: Number(seedArg), sink });
  const t0 = performance.now();
  events += sim.run({ untilNs: loaded.scenario.duration }).events;
  ms += performance.now() - t0;
  await sim.close();
  digest = sink.digest.hex();
}
process.stdout.write(JSON.stringify({ events, ms, digest }) + "\n");
