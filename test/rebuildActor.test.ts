import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runEmbedded } from "../runtime/embeddedRun.ts";
import { replayLog } from "../runtime/replay.ts";
import { loadGpuModel } from "../shared/gpu/loadModel.ts";
import { JsonlLogReader } from "../shared/log/jsonlLog.ts";
import { rebuildActor } from "../shared/runtime/rebuildActor.ts";
import { loadScenarioFile } from "../shared/scenario/loadScenario.ts";
import { createCatalogue } from "../services/catalogue.ts";
import { buildWorld } from "../services/world.ts";

async function bootLog() {
  const loaded = loadScenarioFile("scenarios/boot.yaml", createCatalogue());
  const run = await runEmbedded({ loaded, seed: 11, outDir: mkdtempSync(join(tmpdir(), "tyrsim-rebuild-")) });
  const spec = buildWorld(loaded.scenario, loadGpuModel(loaded.scenario.model)).find((a) => a.name === "gpu0.pwr");
  if (spec === undefined) throw new Error("no power actor in the world");
  return { run, spec };
}

describe("rebuilding an actor from the log", () => {
  it("restores the power controller's state at any event, equal to a full replay's", async () => {
    const { run, spec } = await bootLog();
    for (const until of [4, 9, 12, 19]) {
      const rebuilt = rebuildActor(spec, run.run, 11, new JsonlLogReader(run.log), until);
      const replay = await replayLog(run.log, { untilSeq: until });
      expect(rebuilt.divergence).toBeUndefined();
      expect(rebuilt.actor.behaviour.snapshot()).toEqual(replay.states?.["gpu0.pwr"]);
    }
  });

  it("republishes exactly what the log recorded for the actor", async () => {
    const { run, spec } = await bootLog();
    const rebuilt = rebuildActor(spec, run.run, 11, new JsonlLogReader(run.log));
    const own = [...new JsonlLogReader(run.log)].filter((e) => e.source === "gpu0.pwr").length;
    expect(rebuilt.republished).toBe(own);
    // the power requests, and the RunEnded that makes it report its energy
    expect(rebuilt.delivered).toBe(run.eventsByType["PowerOnRequested"]! + run.eventsByType["PowerOffRequested"]! + run.eventsByType["RunEnded"]!);
  });

  it("detects a log whose record of the actor's output was altered", async () => {
    const { run, spec } = await bootLog();
    const tampered = join(mkdtempSync(join(tmpdir(), "tyrsim-rebuild-")), "t.jsonl");
    writeFileSync(tampered, readFileSync(run.log, "utf8").replace('"direction":"up","trans":1,', '"direction":"up","trans":3,'));
    const rebuilt = rebuildActor(spec, run.run, 11, new JsonlLogReader(tampered));
    expect(rebuilt.divergence?.expected).toContain('"trans":3');
    expect(rebuilt.divergence?.actual).toContain('"trans":1');
  });
});
