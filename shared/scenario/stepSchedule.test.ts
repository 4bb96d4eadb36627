import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MemoryLogSink } from "../log/jsonlSink.ts";
import { setUpSimulation } from "../../runtime/embeddedRun.ts";
import { createCatalogue } from "../../services/catalogue.ts";
import { parseScenario, type LoadedScenario } from "./loadScenario.ts";
import { StepSchedule } from "./stepSchedule.ts";

const registry = createCatalogue();
const load = (text: string): LoadedScenario => ({ file: "t.yaml", text, scenario: parseScenario(text, "t.yaml", registry) });

/** The scenario inputs an embedded run logs (lazily queued repetitions), as id, time and subject. */
function loggedSteps(loaded: LoadedScenario): string[] {
  const sink = new MemoryLogSink();
  const sim = setUpSimulation({ loaded, seed: loaded.scenario.seed, sink, registry });
  sim.run({ untilNs: loaded.scenario.duration });
  void sim.close();
  return sink.events.filter((e) => e.source === "scenario").map((e) => `${e.id} ${e.timeNs} ${e.subject.split(".").slice(2).join(".")} ${e.type}`);
}

/** Everything the schedule hands out, in order, in the same form. */
function scheduled(loaded: LoadedScenario): string[] {
  const s = new StepSchedule(loaded.scenario);
  const out: string[] = [];
  for (let step = s.next(); step !== undefined; step = s.next()) out.push(`scenario:${step.n} ${step.atNs} ${step.path} ${step.type}`);
  return out;
}

describe("a scenario's step schedule", () => {
  it("numbers interleaved, same-time and cut-off repetitions exactly as the embedded runtime's lazy queueing does", () => {
    // given steps whose repetitions interleave, meet at the same instant, start after others have
    // repeated, and would run past the scenario's end
    const loaded = load(
      [
        "name: schedule",
        "model: mali-g610-rk3588",
        "duration: 1ms",
        "steps:",
        "  - { at: 300us, every: 100us, count: 4, type: PowerOffRequested, path: gpu0.pwr.cmd, payload: { domain: l2, mask: 0x1 } }",
        "  - { at: 0us, every: 100us, count: 6, type: PowerOnRequested, path: gpu0.pwr.cmd, payload: { domain: l2, mask: 0x1 } }",
        "  - { at: 50us, every: 250us, count: 100, type: PowerOnRequested, path: gpu0.pwr.cmd, payload: { domain: tiler, mask: 0x1 } }",
        "",
      ].join("\n"),
    );
    // when the schedule is pulled to the end
    const fromSchedule = scheduled(loaded);
    // then it is the embedded log's scenario inputs, one for one: ids, times, paths and types
    expect(fromSchedule).toEqual(loggedSteps(loaded));
    // and the cases it was built for are in it: three steps meeting at 300 µs, and a step cut
    // off by the run's end (4 of its 100)
    expect(fromSchedule.filter((l) => / 300000 /.test(l))).toHaveLength(3);
    expect(fromSchedule.filter((l) => l.endsWith("PowerOnRequested") && / 50000 | 300000 | 550000 | 800000 /.test(l))).toHaveLength(5);
  });

  it("numbers a fleet's per-GPU steps as the embedded runtime does", () => {
    // given the fleet scenario cut to 3 GPUs and 5 power cycles each
    const text = readFileSync("scenarios/fleet.yaml", "utf8")
      .replace(/^gpus: 16$/m, "gpus: 3")
      .replace(/count: \d+/g, "count: 5")
      .replace(/^duration: \S+$/m, "duration: 12ms");
    const loaded = load(text);
    // then the schedule is the log's scenario inputs, binds and cycles of every GPU
    const fromSchedule = scheduled(loaded);
    expect(fromSchedule).toHaveLength(3 + 3 * 5 * 2);
    expect(fromSchedule).toEqual(loggedSteps(loaded));
  });

  it("hands out nothing for a scenario without steps", () => {
    const s = new StepSchedule(load("name: empty\nmodel: mali-g610-rk3588\nduration: 1ms\n").scenario);
    expect(s.peekNs()).toBeUndefined();
    expect(s.next()).toBeUndefined();
  });
});
