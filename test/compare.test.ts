import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compareRuns, formatComparison } from "../cli/commands/compareCommand.ts";
import { replayLog } from "../runtime/replay.ts";
import { linesContaining } from "../shared/log/lineReader.ts";

describe("tyrsim compare on frames-short (30 frames from each of two clients)", async () => {
  const rows = await compareRuns("scenarios/frames-short.yaml", { out: mkdtempSync(join(tmpdir(), "tyrsim-compare-")) });
  const [jobqueue, drmSched, powerOff] = rows;

  it("runs the JobQueue, drm_sched and power-off variants of the same scenario and seed, each completing every frame", () => {
    expect(rows.map((r) => r.variant)).toEqual(["jobqueue, power on", "drm_sched, power on", "jobqueue, power off"]);
    expect(rows.map((r) => r.run)).toEqual(["frames-short-jobqueue-1", "frames-short-drm-sched-1", "frames-short-power-off-1"]);
    for (const r of rows) {
      expect(r.frames?.framesCompleted).toBe(60);
      expect(r.frames?.jobsCompleted).toBe(120);
    }
    expect(new Set(rows.map((r) => r.digest)).size).toBe(3);
  });

  it("sizes the driver's scheduler as drm_sched in its variant only, with the same frames completed", () => {
    const schedStep = (log: string) => linesContaining(log, '"step":"sched"').map((l) => (JSON.parse(l) as { payload: { detail: string } }).payload.detail);
    expect(schedStep(drmSched!.log)).toEqual([expect.stringContaining("drm_sched")]);
    expect(schedStep(jobqueue!.log)).toEqual([expect.stringContaining("jobqueue")]);
    expect(drmSched!.frames!.clients.map((c) => c.completed)).toEqual(jobqueue!.frames!.clients.map((c) => c.completed));
  });

  it("pins the clock with the power policy off: no devfreq decisions, shorter frames, more energy per frame", () => {
    expect(jobqueue!.frames!.devfreqTransitions).toBeGreaterThan(0);
    expect(powerOff!.frames!.devfreqTransitions).toBe(0);
    expect(powerOff!.frames!.latencyNs.p50).toBeLessThan(jobqueue!.frames!.latencyNs.p50);
    expect(powerOff!.frames!.framesPerJoule).toBeLessThan(jobqueue!.frames!.framesPerJoule);
  });

  it("writes replayable logs whose header holds the variant's scenario text", async () => {
    const r = await replayLog(drmSched!.log);
    expect(r.divergence).toBeUndefined();
    expect(r.events).toBe(drmSched!.events);
  }, 120_000);

  it("prints one table row per variant with frames, latency, jobs/s, events, energy, frames/J and DVFS", () => {
    const table = formatComparison(rows);
    expect(table.split("\n")[0]).toBe("| variant | frames completed | latency p50 (ms) | latency p99 (ms) | jobs/s | events | energy (mJ) | frames/J | DVFS transitions |");
    expect(table).toContain(`| drm_sched, power on | 60 | ${(drmSched!.frames!.latencyNs.p50 / 1e6).toFixed(2)} |`);
    expect(table.trim().split("\n")).toHaveLength(5);
  });
});
