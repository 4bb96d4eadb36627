import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Envelope } from "../shared/events/envelope.ts";
import { JsonlLogReader } from "../shared/log/jsonlLog.ts";
import { loadScenarioFile } from "../shared/scenario/loadScenario.ts";
import { runEmbedded } from "../runtime/embeddedRun.ts";
import { createCatalogue } from "../services/catalogue.ts";
import { ProbeStepSchema, type ProbeStep } from "../services/driver/driverEvents.ts";
import { JobDispatched } from "../services/shader/shaderEvents.ts";
import { shaderPaths } from "../services/shader/shaderPaths.ts";
import { writeTraceFile } from "../trace/traceFile.ts";
import { runJob } from "./support/gpuBringUp.ts";
import { publish, sleep, waitFor } from "./support/scriptedDriver.ts";
import { importChromeTrace, type ImportedTrace } from "./support/traceImport.ts";
import { US, computeJob, runJobs, traceText } from "./support/traceRuns.ts";

const tmp = () => mkdtempSync(join(tmpdir(), "tyrsim-trace-"));
const GPU = "gpu0 (mali-g610-rk3588)";

/**
 * The step slices a successful probe from `fromNs` on has: the steps the log says completed, then
 * the step the driver was in when DrmDeviceRegistered came (the next one in ProbeStepSchema).
 */
function probeSteps(events: Envelope[], fromNs: number): string[] {
  const done = events.filter((e) => e.type === "ProbeStepCompleted" && e.timeNs >= fromNs).map((e) => (e.payload as { step: string }).step);
  const next = ProbeStepSchema.options[ProbeStepSchema.options.indexOf(done.at(-1) as ProbeStep) + 1];
  return next === undefined ? done : [...done, next];
}

/** A scenario run into a temp dir, its log's events, and its trace as Perfetto would import it. */
async function traced(scenario: string): Promise<{ log: string; events: Envelope[]; trace: ImportedTrace }> {
  const summary = await runEmbedded({ loaded: loadScenarioFile(`scenarios/${scenario}.yaml`, createCatalogue()), outDir: tmp() });
  const out = join(tmp(), "trace.json");
  writeTraceFile(summary.log, out);
  const trace = importChromeTrace(readFileSync(out, "utf8"));
  expect(trace.errors).toEqual([]);
  return { log: summary.log, events: [...new JsonlLogReader(summary.log)], trace };
}

const slicesOn = (t: ImportedTrace, track: string) => t.slices.filter((s) => s.track === track);
const at = (events: Envelope[], type: string, match: (p: Record<string, unknown>) => boolean = () => true) =>
  events.filter((e) => e.type === type && match(e.payload as Record<string, unknown>)).map((e) => e.timeNs);

describe("a trace of scenarios/boot.yaml", () => {
  let run: Awaited<ReturnType<typeof traced>>;
  beforeAll(async () => void (run = await traced("boot")));

  it("shows each power domain as back-to-back state slices whose edges are the log's power events", () => {
    const { trace, events } = run;
    const l2 = slicesOn(trace, "power l2");
    expect(l2.map((s) => s.name)).toEqual(["powering up", "on", "powering down", "off"]);
    const edges = [...at(events, "PowerTransitionStarted", (p) => p.domain === "l2"), ...at(events, "PowerDomainChanged", (p) => p.domain === "l2")].sort((a, b) => a - b);
    expect(l2.map((s) => s.tsNs)).toEqual(edges);
    expect(l2.slice(0, -1).map((s) => s.tsNs + s.durNs)).toEqual(edges.slice(1));
    expect(l2.at(-1)).toMatchObject({ args: { unfinished: true, ready: "0x0" } });
    expect(slicesOn(trace, "power shader").map((s) => s.name)).toEqual(["rejected: l2-off", "powering up", "on", "powering down", "off"]);
  });

  it("draws the scenario's requests as input instants that flow to the transitions they started", () => {
    const { trace } = run;
    const inputs = slicesOn(trace, "scenario");
    expect(inputs.map((s) => s.name)).toEqual(["PowerOnRequested", "PowerOnRequested", "PowerOnRequested", "PowerOnRequested", "PowerOffRequested", "PowerOffRequested", "PowerOffRequested"]);
    const fromL2Request = trace.flows.filter((f) => f.from === inputs[1]).map((f) => [f.version, f.to.track, f.to.name]);
    expect(fromL2Request).toEqual([[1, "power l2", "powering up"], [1, "power l2", "on"]]);
    expect(trace.counters.get(`${GPU}/energy mJ total`)).toHaveLength(1);
  });
});

describe("a trace of scenarios/dvfs.yaml", () => {
  let run: Awaited<ReturnType<typeof traced>>;
  beforeAll(async () => void (run = await traced("dvfs")));

  it("has a frequency counter sample at each OPP change and the OPP as a state track", () => {
    const { trace, events } = run;
    const changes = events.filter((e) => e.type === "FrequencyChanged").map((e) => ({ tsNs: e.timeNs, value: (e.payload as { hz: number }).hz / 1e6 }));
    expect(changes.map((c) => c.value)).toEqual([1000, 600]);
    expect(trace.counters.get(`${GPU}/frequency MHz`)).toEqual(changes);
    expect(slicesOn(trace, "OPP").map((s) => [s.name, s.tsNs])).toEqual([
      ["1000 MHz", changes[0]!.tsNs], ["rejected 850 MHz: unknown-opp", 2_200 * US], ["600 MHz", changes[1]!.tsNs],
    ]);
  });

  it("shows supply voltages, the failed clock enable, utilisation and every energy report", () => {
    const { trace, events } = run;
    expect(trace.counters.get(`${GPU}/supply mV mali`)?.map((c) => c.value)).toEqual([850, 675]);
    expect(slicesOn(trace, "clock core").map((s) => s.name)).toEqual(["gated", "enable failed: ETIMEDOUT", "enabled"]);
    expect(trace.counters.get(`${GPU}/utilisation shader`)?.map((c) => c.value)).toEqual([0.8, 0]);
    expect(trace.counters.get(`${GPU}/energy mJ total`)).toHaveLength(at(events, "EnergyReported").length);
  });
});

describe("a trace of scenarios/probe.yaml", () => {
  let run: Awaited<ReturnType<typeof traced>>;
  beforeAll(async () => void (run = await traced("probe")));

  it("draws the probe as one slice covered by its steps, back to back, in Tyr's order", () => {
    const { trace, events } = run;
    const [probe, ...steps] = slicesOn(trace, "drv0 probe").filter((s) => s.cat === "probe");
    expect(probe).toMatchObject({ name: "probe", depth: 0, tsNs: at(events, "DeviceBindRequested")[0], args: { result: "registered", name: "panthor", version: "1.5.0", gpuId: "0xa8670005" } });
    expect(probe!.tsNs + probe!.durNs).toBe(at(events, "DrmDeviceRegistered")[0]);
    expect(steps.map((s) => s.name)).toEqual(probeSteps(events, 0));
    expect(steps.slice(0, 3).map((s) => s.name)).toEqual(["clocks", "regulators", "mmio"]);
    expect(steps.map((s) => s.tsNs)).toEqual([probe!.tsNs, ...steps.slice(0, -1).map((s) => s.tsNs + s.durNs)]);
    expect(steps.at(-1)!.tsNs + steps.at(-1)!.durNs).toBe(probe!.tsNs + probe!.durNs);
    // the steps that take time are inside the probe; those of no time at its very end come just after it
    expect(steps.filter((s) => s.durNs > 0).every((s) => s.depth === 1)).toBe(true);
  });

  it("shows the register reads of drm_panthor_gpu_info as one burst on the mmio track, with their values", () => {
    const burst = slicesOn(run.trace, "mmio").find((s) => s.name.startsWith("MMIO ×") && (s.args.accesses as string[]).includes("R GPU_ID = 0xa8670005"));
    expect(burst).toBeDefined();
    expect(slicesOn(run.trace, "mmio").reduce((n, s) => n + (s.args.count as number), 0)).toBe(at(run.events, "MmioWriteIssued").length + at(run.events, "MmioReadIssued").length);
  });
});

describe("a trace of scenarios/probe-failures.yaml", () => {
  it("marks the failed probe with its errno, the unwinding as instants, and the retry as a probe that succeeds", async () => {
    const { trace, events } = await traced("probe-failures");
    const probe = slicesOn(trace, "drv0 probe");
    expect(probe.filter((s) => s.name === "probe").map((s) => [s.args.result, s.args.errnoName])).toEqual([["failed", "EIO"], ["registered", undefined]]);
    expect(probe.filter((s) => s.cat === "probe").map((s) => s.name)).toEqual(["probe", "clocks", "regulators", "unwind", "probe", ...probeSteps(events, at(events, "DeviceBindRequested")[1]!)]);
    expect(probe.find((s) => s.name === "regulators" && s.args.failed === true)).toMatchObject({ args: { errno: -5, errnoName: "EIO" } });
    expect(probe.filter((s) => s.name.startsWith("unwind ")).map((s) => s.name)).toEqual([
      "unwind regulators: regulator_disable(mali)", "unwind clocks: clk_disable_unprepare(stacks)",
      "unwind clocks: clk_disable_unprepare(coregroup)", "unwind clocks: clk_disable_unprepare(core)",
    ]);
  });
});

describe("a trace of a run with jobs", () => {
  const events = runJobs(function* () {
    yield* runJob(computeJob("j1"));
    yield* publish(JobDispatched, shaderPaths(0).dispatch, computeJob("a", { coreMask: 0x5 }));
    yield* sleep(50 * US);
    yield* publish(JobDispatched, shaderPaths(0).dispatch, computeJob("b"));
    yield* waitFor((e) => e.type === "JobCompleted" && (e.payload as { job: string }).job === "a");
    yield* publish(JobDispatched, shaderPaths(0).dispatch, computeJob("hung", { hang: true }));
    yield* sleep(10 * US);
    yield* publish(JobDispatched, shaderPaths(0).dispatch, computeJob("bad", { coreMask: 0x10000, ranges: [{ va: 0x90_0000, size: 64, access: "read" }], writes: [] }));
  });
  const trace = importChromeTrace(traceText(events));
  const jobSlices = (job: string) => trace.slices.filter((s) => s.cat === "job" && s.name === job).map((s) => [s.track, s.tsNs, s.durNs]);
  const v2 = (job: string) => trace.flows.filter((f) => f.version === 2 && f.from.args.job === job).map((f) => [f.from.track, f.from.name, f.to.track, f.to.name]);

  it("imports without a single format error", () => {
    expect(trace.errors).toEqual([]);
  });

  it("draws a job on every core of its mask for its run time, flowing from its dispatch through its first core to its completion", () => {
    const [start] = at(events, "JobStarted", (p) => p.job === "j1");
    expect(jobSlices("j1")).toEqual(["core 0", "core 2", "core 16", "core 18"].map((core) => [core, start, 250 * US]));
    expect(v2("j1")).toEqual([["drv", "dispatch j1", "core 0", "j1"], ["core 0", "j1", "gpu0.shader", "j1 completed"]]);
    // j1; a; b joins a; b ends; a ends; hung starts and never ends (bad faults before it runs)
    expect(trace.counters.get("gpu0/jobs running")?.map((c) => c.value)).toEqual([1, 0, 1, 2, 1, 0, 1]);
  });

  it("puts a job on a second lane of the cores a running job already occupies", () => {
    const [aStart] = at(events, "JobStarted", (p) => p.job === "a");
    const [bStart] = at(events, "JobStarted", (p) => p.job === "b");
    expect(jobSlices("a")).toEqual([["core 0", aStart, 500 * US], ["core 2", aStart, 500 * US]]);
    expect(jobSlices("b")).toEqual([["core 0 (2)", bStart, 250 * US], ["core 2 (2)", bStart, 250 * US], ["core 16", bStart, 250 * US], ["core 18", bStart, 250 * US]]);
  });

  it("ends a faulted job's flow at its fault and shows the MMU fault on its address space", () => {
    expect(v2("bad")).toEqual([["drv", "dispatch bad", "gpu0.shader", "bad faulted: mmu-fault"]]);
    expect(slicesOn(trace, "AS1").map((s) => s.name)).toContain("fault TRANSLATION_FAULT_2");
    expect(slicesOn(trace, "IRQ mmu").map((s) => s.name)).toContain("mmu asserted");
  });

  it("closes a hung job at the end of the log, marked unfinished", () => {
    const end = events.at(-1)!.timeNs;
    const [start] = at(events, "JobStarted", (p) => p.job === "hung");
    expect(jobSlices("hung")).toEqual(["core 0", "core 2", "core 16", "core 18"].map((core) => [core, start, end - start!]));
    expect(trace.slices.filter((s) => s.name === "hung").every((s) => s.args.unfinished === true)).toBe(true);
  });

  it("shows the AS command as a slice, memory written by CPU and shader, and the job IRQ", () => {
    expect(slicesOn(trace, "AS1").filter((s) => s.name === "UPDATE").map((s) => s.durNs)).toEqual([1 * US]);
    expect(trace.counters.get("gpu0/memory shader bytes written")?.map((c) => c.value)).toEqual([4, 8, 12]);
    expect(trace.counters.get("gpu0/memory frames touched")?.at(-1)?.value).toBeGreaterThan(0);
  });
});

describe("determinism", () => {
  it("writes byte-identical traces of one log, and of two runs of the same scenario and seed", async () => {
    const loaded = loadScenarioFile("scenarios/probe-failures.yaml", createCatalogue());
    const [a, b] = [await runEmbedded({ loaded, outDir: tmp() }), await runEmbedded({ loaded, outDir: tmp() })];
    const text = (log: string) => {
      const out = join(tmp(), "trace.json");
      writeTraceFile(log, out);
      return readFileSync(out, "utf8");
    };
    const first = text(a.log);
    expect(text(a.log)).toBe(first);
    expect(text(b.log)).toBe(first);
  });
});

describe("tyrsim trace", () => {
  const tyrsim = (...args: string[]) => spawnSync(process.execPath, ["bin/tyrsim.mjs", ...args], { encoding: "utf8", env: { ...process.env, CI: "1" } });

  it("writes trace.json beside the log by default and says where and how many trace events", () => {
    const dir = tmp();
    expect(tyrsim("run", "scenarios/boot.yaml", "--out", dir).status).toBe(0);
    const r = tyrsim("trace", join(dir, "events.jsonl"));
    expect(r.status).toBe(0);
    const written = readFileSync(join(dir, "trace.json"), "utf8");
    const doc = JSON.parse(written) as { traceEvents: unknown[]; displayTimeUnit: string; metadata: { traceEvents: number; log: { run: string } } };
    expect(r.stdout).toContain(`trace of run boot-1: ${join(dir, "trace.json")}`);
    expect(r.stdout).toContain(`${doc.traceEvents.length} trace events`);
    expect(doc).toMatchObject({ displayTimeUnit: "ns", metadata: { traceEvents: doc.traceEvents.length, log: { run: "boot-1" } } });
    expect(importChromeTrace(written).errors).toEqual([]);
  });

  it("writes where -o says, and fewer events with --compact", () => {
    const dir = tmp();
    tyrsim("run", "scenarios/probe.yaml", "--out", dir);
    const count = (...opts: string[]) => (JSON.parse(tyrsim("trace", join(dir, "events.jsonl"), "--json", ...opts).stdout) as { traceEvents: number }).traceEvents;
    const full = count("-o", join(dir, "full.json"));
    const compact = count("-o", join(dir, "compact.json"), "--compact");
    expect(compact).toBeLessThan(full);
    expect(importChromeTrace(readFileSync(join(dir, "compact.json"), "utf8")).errors).toEqual([]);
  });

  it("names the file and line of a broken log and exits 2", () => {
    const r = tyrsim("trace", "README.md");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("README.md:1:");
  });
});
