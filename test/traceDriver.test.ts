import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Envelope } from "../shared/events/envelope.ts";
import { JsonlLogReader } from "../shared/log/jsonlLog.ts";
import { loadScenarioFile } from "../shared/scenario/loadScenario.ts";
import { runEmbedded } from "../runtime/embeddedRun.ts";
import { createCatalogue } from "../services/catalogue.ts";
import { writeTraceFile } from "../trace/traceFile.ts";
import { importChromeTrace, type ImportedSlice, type ImportedTrace } from "./support/traceImport.ts";

const tmp = () => mkdtempSync(join(tmpdir(), "tyrsim-trace-driver-"));

/** A scenario run into a temp dir, its log's events, and its trace as Perfetto would import it. */
async function traced(scenario: string): Promise<{ events: Envelope[]; trace: ImportedTrace }> {
  const summary = await runEmbedded({ loaded: loadScenarioFile(`scenarios/${scenario}.yaml`, createCatalogue()), outDir: tmp() });
  const out = join(tmp(), "trace.json");
  writeTraceFile(summary.log, out);
  return { events: [...new JsonlLogReader(summary.log)], trace: importChromeTrace(readFileSync(out, "utf8")) };
}

type Payload = Record<string, unknown>;
const payloads = (events: Envelope[], type: string): Payload[] => events.filter((e) => e.type === type).map((e) => e.payload as Payload);
const timeOf = (events: Envelope[], type: string, match: (p: Payload) => boolean): number | undefined =>
  events.find((e) => e.type === type && match(e.payload as Payload))?.timeNs;
const queueName = (p: Payload) => `drv0 file ${String(p.file)} group ${String(p.group)} queue ${String(p.queue)}`;
/** Job slices (not the signal markers): named `job <name>` exactly, on a queue track. */
const jobSlices = (t: ImportedTrace): ImportedSlice[] => t.slices.filter((s) => s.cat === "queue" && /^job \S+$/.test(s.name));

describe("a trace of scenarios/hang-recovery.yaml", () => {
  let run: Awaited<ReturnType<typeof traced>>;
  beforeAll(async () => void (run = await traced("hang-recovery")));

  it("imports without a single format error", () => {
    expect(run.trace.errors).toEqual([]);
  });

  it("draws one slice per submitted job on its queue's track, from JobSubmitted to JobFenceSignalled", () => {
    const { trace, events } = run;
    const submitted = payloads(events, "JobSubmitted");
    const slices = jobSlices(trace);
    expect(slices.map((s) => [s.track.replace(/ \(\d+\)$/, ""), s.name]).sort()).toEqual(submitted.map((p) => [queueName(p), `job ${String(p.job)}`]).sort());
    for (const s of slices) {
      const same = (p: Payload) => `job ${String(p.job)}` === s.name && queueName(p) === s.track.replace(/ \(\d+\)$/, "");
      expect(s.tsNs).toBe(timeOf(events, "JobSubmitted", same));
      expect(s.tsNs + s.durNs).toBe(timeOf(events, "JobFenceSignalled", same));
      const ring = trace.slices.find((r) => r.name === "on ring" && r.tid === s.tid && r.tsNs === timeOf(events, "JobRingWritten", same));
      expect(ring).toMatchObject({ depth: s.depth + 1, durNs: s.tsNs + s.durNs - ring!.tsNs });
    }
  });

  it("pairs each submission with its fence signal by one flow", () => {
    const { trace, events } = run;
    const flows = trace.flows.filter((f) => f.version === 2 && f.from.cat === "queue");
    expect(flows).toHaveLength(payloads(events, "JobFenceSignalled").length);
    for (const f of flows) {
      expect(f.to.tid).toBe(f.from.tid);
      expect(f.to.tsNs).toBe(f.from.tsNs + f.from.durNs);
      expect(f.to.name.startsWith(`${f.from.name} `)).toBe(true);
      expect(f.to.args.fence).toBe(f.from.args.fence);
    }
  });

  it("says a timed-out job's error on its slice and names its signal -ETIMEDOUT", () => {
    const { trace, events } = run;
    const timedOut = payloads(events, "JobFenceSignalled").filter((p) => p.error === -110);
    expect(timedOut.length).toBeGreaterThan(0);
    for (const p of timedOut) {
      const slice = jobSlices(trace).find((s) => s.name === `job ${String(p.job)}` && s.track.startsWith(queueName(p)));
      expect(slice?.args).toMatchObject({ error: -110, errnoName: "ETIMEDOUT" });
      expect(trace.slices.filter((s) => s.name === `job ${String(p.job)} -ETIMEDOUT`).map((s) => [s.cat, s.track])).toEqual([["fault", slice!.track]]);
    }
  });

  it("draws the reset as one slice on the driver's reset track containing every step, with the verdicts inside it", () => {
    const { trace, events } = run;
    const onTrack = trace.slices.filter((s) => s.track === "drv0 reset");
    const resets = onTrack.filter((s) => s.name.startsWith("reset: "));
    expect(resets.map((s) => [s.name, s.args.result])).toEqual([["reset: csg-ack-timeout", "completed"]]);
    const reset = resets[0]!;
    expect(reset.tsNs).toBe(timeOf(events, "ResetScheduled", () => true));
    expect(reset.tsNs + reset.durNs).toBe(timeOf(events, "DeviceResetCompleted", () => true));
    const steps = onTrack.filter((s) => s.cat === "reset" && payloads(events, "ResetStepDone").some((p) => p.step === s.name));
    expect(steps.map((s) => s.name)).toEqual(payloads(events, "ResetStepDone").map((p) => p.step));
    const end = reset.tsNs + reset.durNs;
    for (const s of steps) expect(s.tsNs >= reset.tsNs && s.tsNs + s.durNs <= end).toBe(true);
    expect(steps.filter((s) => s.durNs > 0).every((s) => s.depth === reset.depth + 1)).toBe(true);
    // back to back: each step begins where the previous one ended
    expect(steps.slice(1).map((s) => s.tsNs)).toEqual(steps.slice(0, -1).map((s) => s.tsNs + s.durNs));
    const verdicts = onTrack.filter((s) => /^file \d+ group \d+: /.test(s.name)).map((s) => s.name);
    expect(verdicts).toEqual(payloads(events, "ResetGroupJudged").map((p) => `file ${String(p.file)} group ${String(p.group)}: ${String(p.verdict)}`));
  });
});

describe("a trace of scenarios/frames-short.yaml", () => {
  let run: Awaited<ReturnType<typeof traced>>;
  beforeAll(async () => void (run = await traced("frames-short")));

  it("imports without a single format error and has a queue slice and a flow per job", () => {
    const { trace, events } = run;
    expect(trace.errors).toEqual([]);
    expect(jobSlices(trace)).toHaveLength(payloads(events, "JobSubmitted").length);
    expect(trace.flows.filter((f) => f.version === 2 && f.from.cat === "queue")).toHaveLength(payloads(events, "JobFenceSignalled").length);
  });

  it("draws one slice per completed frame on its client's frames track, ending at FrameCompleted with the latency", () => {
    const { trace, events } = run;
    const completed = events.filter((e) => e.type === "FrameCompleted");
    const frames = trace.slices.filter((s) => s.cat === "frame" && /^frame \d+$/.test(s.name));
    expect(frames).toHaveLength(completed.length);
    for (const e of completed) {
      const { client, frame, latencyNs } = e.payload as { client: string; frame: number; latencyNs: number };
      const slice = frames.find((s) => s.track.replace(/ \(\d+\)$/, "") === `${client} frames` && s.name === `frame ${frame}`);
      expect(slice).toMatchObject({ tsNs: timeOf(events, "FrameSubmitted", (p) => p.client === client && p.frame === frame), args: { latencyNs } });
      expect(slice!.tsNs + slice!.durNs).toBe(e.timeNs);
    }
  });

  it("counts each client's frames in flight, back to zero once all completed", () => {
    const { trace, events } = run;
    for (const client of new Set(payloads(events, "FrameSubmitted").map((p) => String(p.client)))) {
      const samples = trace.counters.get(`host: driver, userspace, inputs/frames in flight ${client}`) ?? [];
      const submits = payloads(events, "FrameSubmitted").filter((p) => p.client === client);
      expect(samples).toHaveLength(submits.length * 2);
      expect(samples.at(-1)?.value).toBe(0);
      expect(Math.max(...samples.map((s) => s.value))).toBe(Math.max(...submits.map((p) => p.inFlight as number)));
    }
  });
});
