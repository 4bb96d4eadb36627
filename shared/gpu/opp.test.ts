import { describe, expect, it } from "vitest";
import { availableFrequencies, findOppCeil, findOppExact, findOppFloor, maxOpp, minOpp, recommendedOpp } from "./opp.ts";
import type { Opp } from "./model.ts";

const table: Opp[] = [
  { hz: 300e6, microvolt: 675000 },
  { hz: 700e6, microvolt: 700000 },
  { hz: 1000e6, microvolt: 850000 },
];

describe("OPP lookups", () => {
  it("finds an OPP only at its exact frequency", () => {
    expect(findOppExact(table, 700e6)?.microvolt).toBe(700000);
    expect(findOppExact(table, 701e6)).toBeUndefined();
  });

  it("rounds up with ceil and down with floor, as dev_pm_opp_find_freq_*", () => {
    expect(findOppCeil(table, 500e6)?.hz).toBe(700e6);
    expect(findOppCeil(table, 1001e6)).toBeUndefined();
    expect(findOppFloor(table, 500e6)?.hz).toBe(300e6);
    expect(findOppFloor(table, 299e6)).toBeUndefined();
  });

  it("recommends the ceil, or the closest OPP outside the table, as devfreq_recommended_opp", () => {
    expect(recommendedOpp(table, 500e6).hz).toBe(700e6);
    expect(recommendedOpp(table, 2e9).hz).toBe(1000e6);
    expect(recommendedOpp(table, 500e6, true).hz).toBe(300e6);
    expect(recommendedOpp(table, 1e6, true).hz).toBe(300e6);
    expect(() => recommendedOpp([], 1)).toThrow(RangeError);
  });

  it("reports the table's bounds and frequencies", () => {
    expect(minOpp(table).hz).toBe(300e6);
    expect(maxOpp(table).hz).toBe(1000e6);
    expect(availableFrequencies(table)).toEqual([300e6, 700e6, 1000e6]);
  });
});
