import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runCommand } from "../cli/commands/runCommand.ts";
import { headerOf, runEmbedded, runIdOf } from "../runtime/embeddedRun.ts";
import { Coordinator } from "../runtime/multiprocess/coordinator.ts";
import { inProcessServices } from "../runtime/multiprocess/inProcessServices.ts";
import { JsonlLogSink } from "../shared/log/jsonlSink.ts";
import { FramesReducer, type FramesReport } from "../runtime/frames/framesReport.ts";
import type { Envelope } from "../shared/events/envelope.ts";
import { loadScenarioFile, parseScenario, ScenarioError } from "../shared/scenario/loadScenario.ts";
import { createCatalogue } from "../services/catalogue.ts";
import { runLogged } from "./support/auditRuns.ts";

type P = Record<string, unknown>;
const ofType = (events: readonly Envelope[], type: string) => events.filter((e) => e.type === type);
const pl = (e: Envelope) => e.payload as P;
const tmp = () => mkdtempSync(join(tmpdir(), "tyrsim-frames-"));

describe("the frames workload (frames-short: 30 frames from each of two clients)", async () => {
  const run = await runLogged({ file: "scenarios/frames-short.yaml" });
  const events = run.events;
  const reducer = new FramesReducer();
  events.forEach((e) => reducer.add(e));
  const report: FramesReport = reducer.report();

  it("opens the device before it is registered, retrying on -ENODEV until the probe has finished", () => {
    const failedOpens = ofType(events, "DrmFileOpenFailed").filter((e) => pl(e)["client"] === "wl0.game");
    expect(failedOpens.length).toBeGreaterThan(0);
    expect(failedOpens.every((e) => pl(e)["errno"] === -19)).toBe(true);
    const registered = ofType(events, "DrmDeviceRegistered")[0]!;
    const ready = ofType(events, "WorkloadReady");
    expect(ready.map((e) => pl(e)["client"])).toEqual(["wl0.game", "wl0.video"]);
    expect(ready.every((e) => e.seq > registered.seq)).toBe(true);
    expect(pl(ready[0]!)["openRetries"]).toBe(failedOpens.length);
  });

  it("completes every submitted frame, in order per client, and finishes both clients cleanly", () => {
    for (const client of ["wl0.game", "wl0.video"]) {
      const sub = ofType(events, "FrameSubmitted").filter((e) => pl(e)["client"] === client).map((e) => pl(e)["frame"]);
      const done = ofType(events, "FrameCompleted").filter((e) => pl(e)["client"] === client).map((e) => pl(e)["frame"]);
      expect(sub).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(done).toEqual(sub);
    }
    expect(ofType(events, "WorkloadFinished").map((e) => [pl(e)["client"], pl(e)["ok"], pl(e)["completed"]])).toEqual([["wl0.game", true, 30], ["wl0.video", true, 30]]);
    expect(ofType(events, "WorkloadFailed")).toEqual([]);
    expect(ofType(events, "DrmFileClosed").map((e) => pl(e)["ret"])).toEqual([0, 0]);
    expect(ofType(events, "ActorHandlerFailed")).toEqual([]);
    expect(ofType(events, "MessageRejected")).toEqual([]);
  });

  it("signals every job's fence without error: a geometry and a fragment job per frame", () => {
    const submitted = ofType(events, "JobSubmitted").map((e) => pl(e)["job"]).sort();
    const signalled = ofType(events, "JobFenceSignalled");
    expect(submitted).toHaveLength(120);
    expect(signalled.map((e) => pl(e)["job"]).sort()).toEqual(submitted);
    expect(signalled.every((e) => pl(e)["error"] === 0)).toBe(true);
    // each fragment job depended on its frame's geometry job's fence
    const frag = ofType(events, "JobSubmitted").filter((e) => pl(e)["queue"] === 1);
    expect(frag.every((e) => (pl(e)["deps"] as unknown[]).length === 1)).toBe(true);
  });

  it("measures positive latencies that take at least the GPU time of the frame and order p50 ≤ p90 ≤ p99 ≤ max", () => {
    for (const c of report.clients) {
      const l = c.latencyNs;
      expect(l.p50).toBeGreaterThan(0);
      expect(l.p50).toBeLessThanOrEqual(l.p90);
      expect(l.p90).toBeLessThanOrEqual(l.p99);
      expect(l.p99).toBeLessThanOrEqual(l.max);
      // a frame ends before the next vsync at 60 Hz (two swapchain images never fill up here)
      expect(l.max).toBeLessThan(16_666_667);
      expect(c.skipped).toBe(0);
    }
    // the 1080p client's frames take longer than the 720p client's (4 cycles per pixel, 4 cores, ≤ 1 GHz)
    const [game, video] = report.clients;
    expect(video!.latencyNs.p50).toBeGreaterThan(game!.latencyNs.p50);
    expect(video!.latencyNs.p50).toBeGreaterThanOrEqual((1920 * 1080 * 4) / 4);
    for (const e of ofType(events, "FrameCompleted")) expect(e.timeNs - (pl(e)["vsyncNs"] as number)).toBe(pl(e)["latencyNs"]);
  });

  it("ramps devfreq up under the frame load (an OPP change above the boot frequency)", () => {
    const ups = ofType(events, "DevfreqTransition").filter((e) => (pl(e)["to"] as number) > (pl(e)["from"] as number));
    expect(ups.length).toBeGreaterThan(0);
    expect(report.dvfsTransitions).toBeGreaterThan(0);
    expect(report.energyJoules).toBeGreaterThan(0);
    expect(report.framesPerJoule).toBeCloseTo(60 / report.energyJoules, 6);
  });

  it("gives the same digest for the same seed, and a different one for another seed", async () => {
    const loaded = loadScenarioFile("scenarios/frames-short.yaml", createCatalogue());
    const a = await runEmbedded({ loaded, outDir: tmp() });
    const b = await runEmbedded({ loaded, outDir: tmp() });
    const c = await runEmbedded({ loaded, seed: 2, outDir: tmp() });
    expect(b.digest).toBe(a.digest);
    expect(c.digest).not.toBe(a.digest);
  }, 300_000);
});

describe("a client the driver refuses", () => {
  it("logs the errno as WorkloadFailed, closes its file and never throws (HIGH priority: -EACCES)", async () => {
    const text = [
      "name: frames-refused", "duration: 30ms",
      "steps: [{ at: 10us, type: DeviceBindRequested, path: drv0.bind, payload: {} }]",
      "workload: [{ name: greedy, frames: 5, priority: high }]",
    ].join("\n");
    const { events } = await runLogged({ text });
    expect(ofType(events, "WorkloadFailed").map(pl)).toEqual([{ client: "wl0.greedy", step: "GROUP_CREATE", ret: -13 }]);
    expect(ofType(events, "WorkloadFinished").map((e) => pl(e)["ok"])).toEqual([false]);
    expect(ofType(events, "DrmFileClosed").map((e) => pl(e)["ret"])).toEqual([0]);
    expect(ofType(events, "FrameSubmitted")).toEqual([]);
    expect(ofType(events, "ActorHandlerFailed")).toEqual([]);
  }, 120_000);
});

describe("a privileged client", () => {
  it("renders at HIGH priority when its process holds CAP_SYS_NICE (a compositor)", async () => {
    const text = [
      "name: frames-compositor", "duration: 120ms",
      "steps: [{ at: 10us, type: DeviceBindRequested, path: drv0.bind, payload: {} }]",
      "workload: [{ name: compositor, frames: 5, priority: high, capSysNice: true }]",
    ].join("\n");
    const { events } = await runLogged({ text });
    expect(ofType(events, "WorkloadFailed")).toEqual([]);
    expect(ofType(events, "GroupCreated").map((e) => pl(e)["priority"])).toEqual([2]);
    expect(ofType(events, "FrameCompleted")).toHaveLength(5);
  }, 120_000);
});

describe("a frame that misses its wait deadline", () => {
  it("fails the client with -ETIME from SYNCOBJ_TIMELINE_WAIT, and closing its file cancels the work still queued", async () => {
    // a 1080p frame takes ~7 ms at the boot OPP; the client waits only 1 ms for it
    const text = [
      "name: frames-late", "duration: 60ms",
      "steps: [{ at: 10us, type: DeviceBindRequested, path: drv0.bind, payload: {} }]",
      "workload: [{ name: late, frames: 5, width: 1920, height: 1080, waitTimeout: 1ms }]",
    ].join("\n");
    const { events } = await runLogged({ text });
    expect(ofType(events, "WorkloadFailed").map(pl)).toEqual([{ client: "wl0.late", step: "SYNCOBJ_TIMELINE_WAIT", ret: -62 }]);
    expect(ofType(events, "FrameCompleted")).toEqual([]);
    expect(ofType(events, "DrmFileClosed").map((e) => pl(e)["ret"])).toEqual([0]);
    // every job fence still signals exactly once (finished, or cancelled with the group)
    const submitted = ofType(events, "JobSubmitted").map((e) => pl(e)["job"]).sort();
    expect(ofType(events, "JobFenceSignalled").map((e) => pl(e)["job"]).sort()).toEqual(submitted);
    expect(ofType(events, "ActorHandlerFailed")).toEqual([]);
  }, 120_000);
});

describe("scenarios/frames.yaml (300 frames from each of two clients)", () => {
  afterEach(() => vi.restoreAllMocks());

  it("completes all 600 frames and prints the frames report with its percentiles", async () => {
    const out = tmp();
    let printed = "";
    vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => ((printed += String(s)), true));
    const code = await runCommand("scenarios/frames.yaml", { out, trace: false });
    vi.restoreAllMocks();
    expect(code).toBe(0);
    expect(printed).toContain("frames:       600 of 600 completed");
    expect(printed).toMatch(/latency p50\/p90\/p99\/max \d+\.\d\d \/ \d+\.\d\d \/ \d+\.\d\d \/ \d+\.\d\d ms/);
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as { frames: FramesReport; actorFailures: number };
    expect(summary.frames.framesCompleted).toBe(600);
    expect(summary.frames.clients.map((c) => c.completed)).toEqual([300, 300]);
    expect(summary.frames.jobsCompleted).toBe(1200);
    expect(summary.actorFailures).toBe(0);
  }, 600_000);
});

describe("the workload service of a multi-process run", () => {
  it("hosts the clients in a workload service of their own and reproduces the embedded log byte for byte", async () => {
    const registry = createCatalogue();
    const text = readFileSync("scenarios/frames-short.yaml", "utf8").replace(/frames: 30/g, "frames: 4").replace("duration: 700ms", "duration: 120ms");
    const loaded = { file: "frames-short.yaml", text, scenario: parseScenario(text, "frames-short.yaml", registry) };
    const seed = 5;
    const run = runIdOf(loaded.scenario, seed);
    const sink = new JsonlLogSink(join(tmp(), "events.jsonl"));
    sink.writeHeader(headerOf(loaded, seed));
    const services = inProcessServices(run, seed, loaded.scenario);
    const coordinator = new Coordinator({ run, sink, services });
    coordinator.queueSteps(loaded.scenario);
    const outcome = await coordinator.run(loaded.scenario.duration);
    await sink.close();
    const embedded = await runEmbedded({ loaded, seed, outDir: tmp() });
    expect(services.map((s) => s.name)).toContain("workload-0");
    expect(embedded.eventsByType["FrameCompleted"]).toBe(8);
    expect(outcome.events).toBe(embedded.events);
    expect(sink.digest.hex()).toBe(embedded.digest);
  }, 300_000);
});

describe("the scenario's workload block", () => {
  const parse = (workload: string) => () => parseScenario(`name: w\nduration: 1ms\nworkload:\n${workload}`, "w.yaml", createCatalogue());

  it("fills in the defaults of a frames client", () => {
    const s = parse("  - { name: game, frames: 3 }")();
    expect(s.workload).toEqual([{
      name: "game", gpu: 0, kind: "frames", frames: 3, fps: 60, startAt: 0, priority: "medium", capSysNice: false, vertices: 60_000, vertexJitter: 0.1,
      width: 1280, height: 720, framesInFlight: 2, waitTimeout: 1_000_000_000,
    }]);
  });

  it("names file, line and field of a client on a GPU the scenario does not have, or a duplicate name", () => {
    expect(parse("  - { name: game, frames: 3 }\n  - { name: game, frames: 3, gpu: 1 }")).toThrow(new ScenarioError("w.yaml", 5, "workload[1].gpu", "no GPU 1 (the scenario has 1)"));
    expect(parse("  - { name: game, frames: 3 }\n  - { name: game, frames: 4 }")).toThrow("w.yaml:5: workload[1].name: a second client 'game' on GPU 0");
    expect(parse("  - { name: Game, frames: 3 }")).toThrow("w.yaml:4: workload[0].name: lower-case letters, digits and dashes");
  });
});
