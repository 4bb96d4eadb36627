import { describe, expect, it } from "vitest";
import { oppSwitchOrder, voltageSettleNs } from "./dvfs.ts";

describe("OPP switch sequencing", () => {
  it("raises the voltage before the clock when scaling up, as _set_opp() does", () => {
    expect(oppSwitchOrder({ hz: 600e6, microvolt: 675_000 }, { hz: 1000e6, microvolt: 850_000 })).toBe("voltage-then-clock");
  });

  it("lowers the clock before the voltage when scaling down", () => {
    expect(oppSwitchOrder({ hz: 1000e6, microvolt: 850_000 }, { hz: 300e6, microvolt: 675_000 })).toBe("clock-then-voltage");
  });

  it("moves only the clock between OPPs that share a voltage", () => {
    expect(oppSwitchOrder({ hz: 300e6, microvolt: 675_000 }, { hz: 600e6, microvolt: 675_000 })).toBe("clock-only");
    expect(oppSwitchOrder({ hz: 600e6, microvolt: 675_000 }, { hz: 600e6, microvolt: 675_000 })).toBe("clock-only");
  });

  it("waits DIV_ROUND_UP(|ΔV|, ramp) µs after a voltage change, in both directions", () => {
    expect(voltageSettleNs(675_000, 850_000, 12_500)).toBe(14_000);
    expect(voltageSettleNs(850_000, 800_000, 12_500)).toBe(4_000);
    expect(voltageSettleNs(700_000, 750_001, 12_500)).toBe(5_000);
    expect(voltageSettleNs(675_000, 850_000, 0)).toBe(0);
  });
});
