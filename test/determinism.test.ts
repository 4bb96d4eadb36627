import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runEmbedded, setUpSimulation } from "../runtime/embeddedRun.ts";
import { auditLogFile } from "../runtime/audit/audit.ts";
import { replayLog } from "../runtime/replay.ts";
import { LogDigest } from "../shared/log/digest.ts";
import { JsonlLogSink } from "../shared/log/jsonlSink.ts";
import { MemoryTransport } from "../shared/bus/memoryTransport.ts";
import { subjectOf } from "../shared/events/subjects.ts";
import { INJECT_PATH } from "../shared/runtime/simulation.ts";
import { queued } from "./support/liveInputs.ts";
import { loadScenarioFile } from "../shared/scenario/loadScenario.ts";
import { createCatalogue } from "../services/catalogue.ts";

const boot = () => loadScenarioFile("scenarios/boot.yaml", createCatalogue());
const tmp = () => mkdtempSync(join(tmpdir(), "tyrsim-det-"));

describe("determinism and replay of the embedded runtime", () => {
  it("gives byte-identical logs for the same scenario and seed", async () => {
    const a = await runEmbedded({ loaded: boot(), seed: 3, outDir: tmp() });
    const b = await runEmbedded({ loaded: boot(), seed: 3, outDir: tmp() });
    expect(readFileSync(a.log)).toEqual(readFileSync(b.log));
    expect(a.digest).toBe(b.digest);
    expect(a.events).toBeGreaterThan(10);
  });

  it("gives a different log for a different seed where the scenario draws on the PRNG", async () => {
    const a = await runEmbedded({ loaded: boot(), seed: 3, outDir: tmp() });
    const b = await runEmbedded({ loaded: boot(), seed: 4, outDir: tmp() });
    expect(a.digest).not.toBe(b.digest);
    // Same events happen, at jittered times: the difference is in latencies, not in the story.
    expect(a.eventsByType).toEqual(b.eventsByType);
  });

  it("replays a log to a match with the same digest", async () => {
    const run = await runEmbedded({ loaded: boot(), seed: 5, outDir: tmp() });
    let secondPasses = 0;
    const replay = await replayLog(run.log, { onComparingLines: () => secondPasses++ });
    expect(replay.match).toBe(true);
    expect(replay.events).toBe(run.events);
    expect(replay.digest).toBe(run.digest);
    // a log as the runtime wrote it is held against the re-run's bytes: no line of it is decoded,
    // and the run is not replayed a second time
    expect(replay.comparedBy).toBe("bytes");
    expect(secondPasses).toBe(0);
  });

  it("replays a log with outside inputs by its bytes, the inputs found in the read that digests the log", async () => {
    // given a live run's log holding a fault injected from outside (re-fed by replay, not re-created)
    const registry = createCatalogue();
    const loaded = boot();
    const log = join(tmp(), "events.jsonl");
    const sink = new JsonlLogSink(log);
    const transport = new MemoryTransport();
    const sim = setUpSimulation({ loaded, seed: 5, sink, registry, external: transport, acceptInputs: true });
    transport.publish(subjectOf(sim.runId, INJECT_PATH), JSON.stringify({ type: "FaultInjected", payload: { fault: { kind: "dvfs-stuck", gpu: 0 } }, atNs: 200_000 }));
    await transport.flush();
    await queued(sim, 1);
    sim.run({ untilNs: loaded.scenario.duration });
    await sim.close();
    const lines = readFileSync(log, "utf8").trim().split("\n");
    expect(lines.some((l) => l.includes('"source":"injector"'))).toBe(true);
    // when it is replayed
    const replay = await replayLog(log);
    // then the re-run, fed the input again, made the very bytes of the log
    expect(replay).toMatchObject({ match: true, events: lines.length - 1, digest: sink.digest.hex(), comparedBy: "bytes" });
  });

  it("reports the exact first divergence when one event in the log is altered", async () => {
    // given a log whose event #9 (a power transition) has a tampered latency
    const run = await runEmbedded({ loaded: boot(), seed: 5, outDir: tmp() });
    const lines = readFileSync(run.log, "utf8").split("\n");
    const target = lines.findIndex((l, i) => i > 0 && l.includes('"seq":9,'));
    expect(target).toBe(10);
    const original = lines[target] as string;
    const altered = original.replace(/"seq":9,"timeNs":(\d+)/, (_m, t: string) => `"seq":9,"timeNs":${Number(t) + 1}`);
    expect(altered).not.toBe(original);
    lines[target] = altered;
    const tampered = join(tmp(), "tampered.jsonl");
    writeFileSync(tampered, lines.join("\n"));
    // when it is replayed
    let secondPasses = 0;
    const replay = await replayLog(tampered, { onComparingLines: () => secondPasses++ });
    // then the replay names event #9, with the log's line and the recomputed one (the bytes
    // differed, so the run was replayed again line by line)
    expect(replay.match).toBe(false);
    expect(replay.comparedBy).toBe("lines");
    expect(secondPasses).toBe(1);
    expect(replay.divergence).toEqual({ seq: 9, expected: altered, actual: original });
    expect(replay.events).toBe(9);
  });

  it("stops the first pass of a long log's replay at the batch where its bytes differ, not at the end", async () => {
    // given a 120,000-event log whose event #9 is altered
    const run = await runEmbedded({ loaded: loadScenarioFile("scenarios/power-cycle.yaml", createCatalogue()), seed: 5, outDir: tmp() });
    expect(run.events).toBeGreaterThan(100_000);
    const text = readFileSync(run.log, "utf8");
    const at = text.indexOf('"seq":9,"timeNs":');
    const tampered = join(tmp(), "tampered.jsonl");
    writeFileSync(tampered, text.slice(0, at) + text.slice(at).replace(/"seq":9,"timeNs":(\d+)/, (_m, t: string) => `"seq":9,"timeNs":${Number(t) + 1}`));
    // when it is replayed
    let firstPass: number | undefined;
    const replay = await replayLog(tampered, { onComparingLines: (n) => (firstPass = n) });
    // then the byte pass gave up within its first batches, and the line pass named event #9
    expect(firstPass).toBeGreaterThan(9);
    expect(firstPass).toBeLessThan(5_000);
    expect(replay.divergence?.seq).toBe(9);
  });

  it("reports a log that ends early or runs long as a divergence", async () => {
    const run = await runEmbedded({ loaded: boot(), seed: 5, outDir: tmp() });
    const lines = readFileSync(run.log, "utf8").trimEnd().split("\n");
    const truncated = join(tmp(), "short.jsonl");
    writeFileSync(truncated, lines.slice(0, -2).join("\n") + "\n");
    const short = await replayLog(truncated);
    expect(short.match).toBe(false);
    expect(short.divergence?.expected).toBeUndefined();
    expect(short.divergence?.seq).toBe(lines.length - 3);
  });

  it("prints every actor's state at a chosen event with --until", async () => {
    const run = await runEmbedded({ loaded: boot(), seed: 5, outDir: tmp() });
    // event #4 completes L2's power-up; the shader cores are still off then
    const replay = await replayLog(run.log, { untilSeq: 4 });
    expect(replay.match).toBe(true);
    expect(replay.states?.["gpu0.pwr"]).toMatchObject({ l2: { state: "on", ready: 1 }, shader: { state: "off", ready: 0 } });
    const later = await replayLog(run.log, { untilSeq: 12 });
    expect(later.states?.["gpu0.pwr"]).toMatchObject({ shader: { state: "poweringDown" } });
  });

  it("gives the digest of the events read: all of them with blank lines in the log, the first ones with --until or at a divergence", async () => {
    // given a run's log, the same with blank lines between events, and one whose event #9 is altered
    const run = await runEmbedded({ loaded: boot(), seed: 5, outDir: tmp() });
    const lines = readFileSync(run.log, "utf8").split("\n");
    const spaced = join(tmp(), "spaced.jsonl");
    writeFileSync(spaced, [lines[0], "", ...lines.slice(1, 6), "", "", ...lines.slice(6)].join("\n"));
    const firstLines = (n: number) => {
      const d = new LogDigest();
      for (const l of lines.slice(1, n + 1)) d.addLine(l);
      return d.hex();
    };
    const tampered = join(tmp(), "tampered.jsonl");
    writeFileSync(tampered, lines.map((l, i) => (i === 10 ? l.replace('"seq":9,', '"seq":9, ') : l)).join("\n"));
    // when each is replayed (and audited)
    const whole = await replayLog(spaced);
    const until = await replayLog(run.log, { untilSeq: 4 });
    const diverged = await replayLog(tampered);
    // then the blank lines change nothing, --until digests the five events read, and a
    // divergence digests the events up to and including the line that differs
    expect(whole.match).toBe(true);
    expect(whole.comparedBy).toBe("lines");
    expect(whole.digest).toBe(run.digest);
    expect(auditLogFile(spaced).run.digest).toBe(run.digest);
    expect(auditLogFile(run.log).run.digest).toBe(run.digest);
    expect(until.digest).toBe(firstLines(5));
    expect(diverged.divergence?.seq).toBe(9);
    const read = new LogDigest();
    for (const l of lines.slice(1, 10)) read.addLine(l);
    read.addLine(lines[10]!.replace('"seq":9,', '"seq":9, '));
    expect(diverged.digest).toBe(read.hex());
  });
});
