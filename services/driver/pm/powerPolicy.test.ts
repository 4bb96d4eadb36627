import { describe, expect, it } from "vitest";
import { createPmBench, type FrameLoad } from "./pmHarness.ts";
import type { PowerPolicyOptions } from "./powerPolicy.ts";
import { formatPowerComparison, powerRunReport } from "./powerReport.ts";

const MS = 1_000_000;
/** A game-like load: 3 bursts of 60 frames at 60 fps (12 M shader cycles each), 500 ms idle between them. */
const LOAD: FrameLoad = { startNs: 5 * MS, periodNs: 16_666_667, framesPerBurst: 60, bursts: 3, pauseNs: 500 * MS, cycles: 12_000_000 };
const END_NS = 5 * MS + 3 * 60 * 16_666_667 + 3 * 500 * MS;

function run(power: PowerPolicyOptions) {
  const b = createPmBench({ load: LOAD, power });
  b.sim.run({ untilNs: END_NS });
  return { report: powerRunReport(b.sink.events), events: b.sink.events };
}

describe("the power policy against none, for the same frames", () => {
  it("saves energy at equal work: more frames per joule than pinned at the fastest OPP without runtime PM", () => {
    // given the same load with panthor's policy, and with devfreq pinned at 1 GHz and runtime PM forbidden
    const on = run({}).report;
    const off = run({ devfreq: false, runtimePm: false }).report;
    // then both complete every frame
    expect(on.frames).toBe(180);
    expect(off.frames).toBe(180);
    // and the policy uses less energy for them: DVFS lowers V² f while frames run, runtime PM cuts leakage between bursts
    expect(on.energyJoules).toBeLessThan(off.energyJoules * 0.7);
    expect(on.framesPerJoule).toBeGreaterThan(off.framesPerJoule);
    expect(on.devfreqTransitions).toBeGreaterThan(0);
    expect(on.suspends).toBe(3);
    expect(off).toMatchObject({ devfreqTransitions: 0, suspends: 0 });
    // and each half of the policy saves energy on its own
    const devfreqOnly = run({ runtimePm: false }).report;
    const rpmOnly = run({ devfreq: false }).report;
    expect(devfreqOnly.energyJoules).toBeLessThan(off.energyJoules);
    expect(rpmOnly.energyJoules).toBeLessThan(off.energyJoules);
    expect(formatPowerComparison([{ name: "on", report: on }, { name: "off", report: off }])).toMatch(/^\| policy \| energy \(J\)/);
  });

  it("gives the same log for the same load twice", () => {
    const a = run({}).events.map((e) => JSON.stringify(e));
    const b = run({}).events.map((e) => JSON.stringify(e));
    expect(b).toEqual(a);
  });
});
