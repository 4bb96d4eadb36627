import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createCatalogue } from "../services/catalogue.ts";
import { parseScenario } from "../shared/scenario/loadScenario.ts";
import { scaledFrames } from "./scaledScenario.ts";

describe("scaledFrames", () => {
  const registry = createCatalogue();

  it("gives back the frames scenario itself when stretched to the 5 s it already lasts", () => {
    const original = parseScenario(readFileSync("scenarios/frames.yaml", "utf8"), "frames.yaml", registry);
    const same = scaledFrames("scenarios/frames.yaml", 5, registry).scenario;
    expect(same.duration).toBe(original.duration);
    expect(same.workload).toEqual(original.workload);
  });

  it("stretches every client to fps x seconds frames and keeps the scenario's tail after the last frame", () => {
    const original = parseScenario(readFileSync("scenarios/frames.yaml", "utf8"), "frames.yaml", registry);
    const b2 = scaledFrames("scenarios/frames.yaml", 60, registry).scenario;
    expect(b2.workload.map((c) => c.frames)).toEqual([3600, 3600]);
    expect(b2.duration - original.duration).toBe(55e9);
    expect(b2.steps).toEqual(original.steps);
  });
});
