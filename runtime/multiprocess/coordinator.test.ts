import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { JsonlLogSink } from "../../shared/log/jsonlSink.ts";
import { loadScenarioFile, parseScenario } from "../../shared/scenario/loadScenario.ts";
import { createCatalogue } from "../../services/catalogue.ts";
import { headerOf, queueSteps, runEmbedded, runIdOf } from "../embeddedRun.ts";
import { Coordinator } from "./coordinator.ts";
import { inProcessServices } from "./inProcessServices.ts";

describe.each(["boot.yaml", "probe.yaml", "probe-failures.yaml", "dvfs.yaml"])("the coordinator on %s", (file) => {
  it("produces the embedded runtime's log, byte for byte, with every actor kind in its own service", async () => {
    // given the scenario split over one service per actor kind, each with its own world and memory replica
    const loaded = loadScenarioFile(join("scenarios", file), createCatalogue());
    const seed = 3;
    const run = runIdOf(loaded.scenario, seed);
    const dir = mkdtempSync(join(tmpdir(), "tyrsim-coord-"));
    const sink = new JsonlLogSink(join(dir, "events.jsonl"));
    sink.writeHeader(headerOf(loaded, seed));
    const services = inProcessServices(run, seed, loaded.scenario);
    const coordinator = new Coordinator({ run, sink, services });
    queueSteps(coordinator, loaded.scenario);
    // when the coordinator runs it
    const outcome = await coordinator.run(loaded.scenario.duration);
    await sink.close();
    // then the log equals the embedded run's
    const embedded = await runEmbedded({ loaded, seed, outDir: mkdtempSync(join(tmpdir(), "tyrsim-emb-")) });
    expect(services.length).toBeGreaterThanOrEqual(5);
    expect(outcome.events).toBe(embedded.events);
    expect(sink.digest.hex()).toBe(embedded.digest);
  });
});

describe("the coordinator on a fleet", () => {
  it("reproduces the embedded log with every GPU's actors in services of their own", async () => {
    // given the fleet scenario cut down to 3 GPUs, one service per actor kind and GPU
    const registry = createCatalogue();
    const text = readFileSync("scenarios/fleet.yaml", "utf8").replace(/^gpus: 16$/m, "gpus: 3");
    const loaded = { file: "fleet.yaml", text, scenario: parseScenario(text, "fleet.yaml", registry) };
    const seed = 5;
    const run = runIdOf(loaded.scenario, seed);
    const sink = new JsonlLogSink(join(mkdtempSync(join(tmpdir(), "tyrsim-coord-")), "events.jsonl"));
    sink.writeHeader(headerOf(loaded, seed));
    const services = inProcessServices(run, seed, loaded.scenario);
    const coordinator = new Coordinator({ run, sink, services });
    queueSteps(coordinator, loaded.scenario);
    await coordinator.run(loaded.scenario.duration);
    await sink.close();
    const embedded = await runEmbedded({ loaded, seed, outDir: mkdtempSync(join(tmpdir(), "tyrsim-emb-")) });
    expect(services.map((s) => s.name)).toContain("power-2");
    expect(sink.digest.hex()).toBe(embedded.digest);
  });
});
