import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runEmbedded } from "../runtime/embeddedRun.ts";
import { replayLog } from "../runtime/replay.ts";
import { loadScenarioFile } from "../shared/scenario/loadScenario.ts";
import { createCatalogue } from "../services/catalogue.ts";

const files = readdirSync("scenarios").filter((f) => f.endsWith(".yaml")).sort();

describe.each(files)("scenario %s", (file) => {
  it("runs without failures, twice to the same digest, and replays to a match", async () => {
    const loaded = loadScenarioFile(join("scenarios", file), createCatalogue());
    const out = () => mkdtempSync(join(tmpdir(), "tyrsim-scn-"));
    const a = await runEmbedded({ loaded, outDir: out() });
    const b = await runEmbedded({ loaded, outDir: out() });
    expect(a.actorFailures).toBe(0);
    expect(a.rejected).toBe(0);
    expect(b.digest).toBe(a.digest);
    const replay = await replayLog(a.log);
    expect(replay.divergence).toBeUndefined();
    expect(replay.events).toBe(a.events);
  }, 120_000);
});
