// A profiling load: the power-cycle scenario scaled to N events (default 200,000), run on the
// embedded runtime and then replayed. Run under `node --cpu-prof --import tsx bench/profileLoad.ts
// [events] [run|replay|both] [scenario.yaml]` and summarise the profile with `bench/profileSummary.ts`.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runEmbedded } from "../runtime/embeddedRun.ts";
import { replayLog } from "../runtime/replay.ts";
import { createCatalogue } from "../services/catalogue.ts";
import { parseScenario } from "../shared/scenario/loadScenario.ts";
import { scaledScenario } from "./scaledScenario.ts";

const events = Number(process.argv[2] ?? 200_000);
const what = process.argv[3] ?? "both";
const file = process.argv[4] ?? "scenarios/power-cycle.yaml";
const dir = mkdtempSync(join(tmpdir(), "tyrsim-profile-"));
const registry = createCatalogue();
const loaded = file.endsWith("power-cycle.yaml") ? scaledScenario(file, events, registry) : { file, text: readFileSync(file, "utf8"), scenario: parseScenario(readFileSync(file, "utf8"), file, registry) };
const t0 = performance.now();
const run = await runEmbedded({ loaded, outDir: join(dir, "run") });
const t1 = performance.now();
process.stderr.write(`run: ${run.events} events in ${(t1 - t0).toFixed(0)} ms (${Math.round(run.events / ((t1 - t0) / 1000))}/s)\n`);
if (what !== "run") {
  const r = await replayLog(join(dir, "run", "events.jsonl"));
  const t2 = performance.now();
  process.stderr.write(`replay: ${r.events} events in ${(t2 - t1).toFixed(0)} ms (${Math.round(r.events / ((t2 - t1) / 1000))}/s), match ${r.match}\n`);
}
rmSync(dir, { recursive: true, force: true });
