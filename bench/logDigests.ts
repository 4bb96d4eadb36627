// The digest of every shipped scenario's log (and of the power-cycle load at 100,000 events), run
// on the embedded runtime with each scenario's own seed. A change made for speed must leave every
// line of every log as it was: record the digests before the change, run again after it, and
// compare (`--check FILE` does the comparing and exits 1 naming the scenarios that changed).
//
//   node bin/run-ts.mjs bench/logDigests.ts > /tmp/before.json
//   node bin/run-ts.mjs bench/logDigests.ts --check /tmp/before.json
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runEmbedded } from "../runtime/embeddedRun.ts";
import { createCatalogue } from "../services/catalogue.ts";
import { parseScenario, type LoadedScenario } from "../shared/scenario/loadScenario.ts";
import { scaledScenario } from "./scaledScenario.ts";

const checkIndex = process.argv.indexOf("--check");
const expectedFile = checkIndex >= 0 ? process.argv[checkIndex + 1] : undefined;
const registry = createCatalogue();
const loads: LoadedScenario[] = readdirSync("scenarios")
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .map((f) => {
    const text = readFileSync(join("scenarios", f), "utf8");
    return { file: f, text, scenario: parseScenario(text, join("scenarios", f), registry) };
  });
loads.push(scaledScenario("scenarios/power-cycle.yaml", 100_000, registry));

const dir = mkdtempSync(join(tmpdir(), "tyrsim-digests-"));
const digests: Record<string, { events: number; digest: string }> = {};
for (const [i, loaded] of loads.entries()) {
  const key = i === loads.length - 1 ? "power-cycle@100000" : loaded.file;
  const summary = await runEmbedded({ loaded, outDir: join(dir, String(i)) });
  digests[key] = { events: summary.events, digest: summary.digest };
  process.stderr.write(`${key}: ${summary.events} events ${summary.digest.slice(0, 16)}\n`);
}
rmSync(dir, { recursive: true, force: true });

if (expectedFile === undefined) {
  process.stdout.write(JSON.stringify(digests, null, 2) + "\n");
} else {
  const expected = JSON.parse(readFileSync(expectedFile, "utf8")) as typeof digests;
  const changed = Object.keys(expected).filter((k) => expected[k]?.digest !== digests[k]?.digest);
  if (changed.length > 0) {
    process.stderr.write(`logs changed: ${changed.join(", ")}\n`);
    process.exit(1);
  }
  process.stderr.write(`every log is as it was (${Object.keys(expected).length} runs)\n`);
}
