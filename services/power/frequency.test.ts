import { describe, expect, it } from "vitest";
import { FrequencyChangeRequested } from "./powerEvents.ts";
import { powerHarness } from "./powerHarness.ts";

const US = 1_000;
const MHZ = 1_000_000;
const DVFS = ["RegulatorStateChanged", "FrequencyChanged", "FrequencyChangeRejected"];

describe("operating points", () => {
  it("starts at the OPP devfreq picks for the bootloader's ~200 MHz: the slowest, 300 MHz / 675 mV on RK3588", () => {
    const h = powerHarness();
    expect(h.snapshot()).toMatchObject({ opp: { state: "stable", hz: 300 * MHZ, microvolt: 675_000 } });
  });

  it("scales up by raising the voltage, waiting for the rail to settle, then raising the clock", () => {
    // given the GPU at 300 MHz / 675 mV
    const h = powerHarness();
    // when devfreq asks for 1 GHz (850 mV) at 100 µs
    h.send(FrequencyChangeRequested, { hz: 1000 * MHZ }, 100 * US);
    h.sim.run({ untilNs: 200 * US });
    // then mali and the coupled sram rail go to 850 mV first, and the clock follows after
    // DIV_ROUND_UP(175 mV, 12.5 mV/µs) = 14 µs
    expect(h.facts(...DVFS)).toEqual([
      [100 * US, "RegulatorStateChanged", { regulator: "mali", enabled: true, microvolt: 850_000 }],
      [100 * US, "RegulatorStateChanged", { regulator: "sram", enabled: true, microvolt: 850_000 }],
      [114 * US, "FrequencyChanged", { hz: 1000 * MHZ, microvolt: 850_000 }],
    ]);
    expect(h.snapshot()).toMatchObject({ opp: { state: "stable", hz: 1000 * MHZ, microvolt: 850_000 } });
  });

  it("scales down by lowering the clock first, then the voltage once the rail has settled", () => {
    const h = powerHarness();
    h.send(FrequencyChangeRequested, { hz: 1000 * MHZ }, 0);
    h.send(FrequencyChangeRequested, { hz: 800 * MHZ }, 100 * US);
    h.sim.run({ untilNs: 200 * US });
    expect(h.facts(...DVFS).filter(([t]) => (t as number) >= 100 * US)).toEqual([
      [100 * US, "FrequencyChanged", { hz: 800 * MHZ, microvolt: 750_000 }],
      [108 * US, "RegulatorStateChanged", { regulator: "mali", enabled: true, microvolt: 750_000 }],
      [108 * US, "RegulatorStateChanged", { regulator: "sram", enabled: true, microvolt: 750_000 }],
    ]);
  });

  it("moves only the clock between OPPs that share a voltage, and answers a request for the current OPP", () => {
    const h = powerHarness();
    h.send(FrequencyChangeRequested, { hz: 600 * MHZ }, 10 * US);
    h.send(FrequencyChangeRequested, { hz: 600 * MHZ }, 20 * US);
    h.sim.run({ untilNs: 100 * US });
    expect(h.facts(...DVFS)).toEqual([
      [10 * US, "FrequencyChanged", { hz: 600 * MHZ, microvolt: 675_000 }],
      [20 * US, "FrequencyChanged", { hz: 600 * MHZ, microvolt: 675_000 }],
    ]);
  });

  it("rejects a frequency that is not in the OPP table", () => {
    const h = powerHarness();
    h.send(FrequencyChangeRequested, { hz: 850 * MHZ }, 0);
    h.sim.run({ untilNs: 10 * US });
    expect(h.facts(...DVFS)).toEqual([[0, "FrequencyChangeRejected", { hz: 850 * MHZ, reason: "unknown-opp" }]]);
    expect(h.snapshot()).toMatchObject({ opp: { hz: 300 * MHZ } });
  });

  it("holds a request that arrives mid-switch until the switch is done, then applies it", () => {
    // given a switch up to 1 GHz in progress (rail settling until 14 µs)
    const h = powerHarness();
    h.send(FrequencyChangeRequested, { hz: 1000 * MHZ }, 0);
    // when 300 MHz is asked for at 5 µs
    h.send(FrequencyChangeRequested, { hz: 300 * MHZ }, 5 * US);
    h.sim.run({ untilNs: 100 * US });
    // then 1 GHz completes first, then the way down starts at once
    expect(h.facts("FrequencyChanged", "RegulatorStateChanged").filter(([, , p]) => (p as { regulator?: string }).regulator !== "sram")).toEqual([
      [0, "RegulatorStateChanged", { regulator: "mali", enabled: true, microvolt: 850_000 }],
      [14 * US, "FrequencyChanged", { hz: 1000 * MHZ, microvolt: 850_000 }],
      [14 * US, "FrequencyChanged", { hz: 300 * MHZ, microvolt: 675_000 }],
      [28 * US, "RegulatorStateChanged", { regulator: "mali", enabled: true, microvolt: 675_000 }],
    ]);
  });
});
