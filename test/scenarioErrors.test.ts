import { describe, expect, it } from "vitest";
import { parseScenario, ScenarioError } from "../shared/scenario/loadScenario.ts";
import { createCatalogue } from "../services/catalogue.ts";

const registry = createCatalogue();

function errorOf(text: string): ScenarioError {
  try {
    parseScenario(text, "broken.yaml", registry);
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error("expected a ScenarioError");
}

const ok = ["name: t", "duration: 1ms", "steps:", "  - { at: 0us, type: PowerOnRequested, path: gpu0.pwr.cmd, payload: { domain: l2, mask: 1 } }"];

describe("scenario files", () => {
  it("accepts a valid scenario and converts durations to nanoseconds", () => {
    const s = parseScenario(ok.join("\n"), "ok.yaml", registry);
    expect(s.duration).toBe(1_000_000);
    expect(s.steps[0]?.payload).toEqual({ domain: "l2", mask: 1 });
  });

  it("names file, line and field for a payload field of the wrong kind", () => {
    const e = errorOf([...ok.slice(0, 3), "  - at: 5us", "    type: PowerOnRequested", "    path: gpu0.pwr.cmd", "    payload:", "      domain: gpu", "      mask: 1"].join("\n"));
    expect(e.file).toBe("broken.yaml");
    expect(e.line).toBe(8);
    expect(e.field).toBe("steps[0].payload.domain");
    expect(e.message).toMatch(/^broken\.yaml:8: steps\[0\]\.payload\.domain: /);
  });

  it("names an unknown event type with its line", () => {
    const e = errorOf(["name: t", "duration: 1ms", "steps:", "  - at: 0us", "    type: GpuExploded", "    path: gpu0.x"].join("\n"));
    expect([e.line, e.field]).toEqual([5, "steps[0].type"]);
    expect(e.reason).toContain("unknown event type 'GpuExploded'");
  });

  it("names a malformed duration and an unknown top-level key", () => {
    const d = errorOf(["name: t", "duration: soon"].join("\n"));
    expect([d.line, d.field]).toEqual([2, "duration"]);
    const k = errorOf(["name: t", "duration: 1ms", "colour: blue"].join("\n"));
    expect(k.field === "" || k.field === "colour").toBe(true);
    expect(k.line).toBeGreaterThanOrEqual(1);
    expect(k.reason).toMatch(/colour/);
  });

  it("reports YAML syntax errors with their line", () => {
    const e = errorOf(["name: t", "duration: 1ms", "steps:", "  - { at: 0us, type: [unclosed"].join("\n"));
    expect(e.line).toBeGreaterThanOrEqual(4);
    expect(e.reason).toMatch(/^YAML: /);
  });

  it("refuses a repeated step without a gap between its repetitions, naming line and field", () => {
    const e = errorOf(["name: t", "duration: 1ms", "steps:", "  - { at: 0us, every: 0us, count: 3, type: PowerOnRequested, path: gpu0.pwr.cmd, payload: { domain: l2, mask: 1 } }"].join("\n"));
    expect([e.line, e.field]).toEqual([4, "steps[0].every"]);
    expect(e.message).toMatch(/'every' must be more than 0/);
  });

  it("refuses a step scheduled after the end of the run", () => {
    const e = errorOf(["name: t", "duration: 1ms", "steps:", "  - { at: 2ms, type: PowerOnRequested, path: gpu0.pwr.cmd, payload: { domain: l2, mask: 1 } }"].join("\n"));
    expect([e.line, e.field]).toEqual([4, "steps[0].at"]);
  });
});
