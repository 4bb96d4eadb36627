import { describe, expect, it } from "vitest";
import { loadGpuModel } from "../../../shared/gpu/loadModel.ts";
import { devfreqRecommendedTarget, loadOf, panthorDevStatus } from "./devfreqCore.ts";
import { DEVFREQ_MAX_FREQ, devfreqSimpleOndemandFunc, SimpleOndemandConfigError } from "./simpleOndemand.ts";

const MS = 1_000_000;
const MHZ = 1_000_000;
const RK3588 = loadGpuModel("mali-g610-rk3588").opp_table;
/** One 50 ms window with `busyMs` busy, at `curMhz`. */
const win = (busyMs: number, curMhz: number) => ({ busyTime: busyMs * MS, totalTime: 50 * MS, currentFrequency: curMhz * MHZ });
/** The OPP update_devfreq() ends at for a window. */
const opp = (busyMs: number, curMhz: number) => devfreqRecommendedTarget(RK3588, devfreqSimpleOndemandFunc(win(busyMs, curMhz))).hz / MHZ;

describe("devfreq_simple_ondemand_func with panthor's 45/5", () => {
  it("asks for the maximum when no time passed", () => {
    expect(devfreqSimpleOndemandFunc({ busyTime: 0, totalTime: 0, currentFrequency: 300 * MHZ })).toBe(DEVFREQ_MAX_FREQ);
  });

  it("asks for the maximum above 45 % busy, and update_devfreq clamps that to the fastest OPP", () => {
    // given 23 of 50 ms busy (46 %): after the >> 7 shift, 179687 × 100 > 390625 × 45
    expect(devfreqSimpleOndemandFunc(win(23, 300))).toBe(DEVFREQ_MAX_FREQ);
    expect(opp(50, 300)).toBe(1000);
  });

  it("keeps the current frequency between 40 % and 45 % inclusive", () => {
    // 22.5 ms: 175781 × 100 = 17 578 100, not above 390625 × 45 = 17 578 125, above × 40
    expect(devfreqSimpleOndemandFunc(win(22.5, 700))).toBe(700 * MHZ);
    expect(devfreqSimpleOndemandFunc(win(21, 700))).toBe(700 * MHZ);
  });

  it("scales to cur × busy / total / 43 % below the band, truncating like div_u64, then rounds up to an OPP", () => {
    // 15 of 50 ms at 1 GHz: 117187 × 1e9 / 390625 = 299 998 720; × 100 / (45 − 5/2 = 43) = 697 671 441
    expect(devfreqSimpleOndemandFunc(win(15, 1000))).toBe(697_671_441);
    expect(opp(15, 1000)).toBe(700);
    // a short window is not shifted: 1000 of 10000 ns at 1 GHz → 10^8 × 100 / 43 = 232 558 139 → ceil 300 MHz
    expect(devfreqSimpleOndemandFunc({ busyTime: 1000, totalTime: 10_000, currentFrequency: 1000 * MHZ })).toBe(232_558_139);
  });

  it("drops to the slowest OPP when idle", () => {
    expect(devfreqSimpleOndemandFunc(win(0, 800))).toBe(0);
    expect(opp(0, 800)).toBe(300);
  });

  it("asks for the maximum when the current frequency is unknown", () => {
    expect(devfreqSimpleOndemandFunc(win(10, 0))).toBe(DEVFREQ_MAX_FREQ);
  });

  it("uses the governor defaults 90/5 for zero tunables and refuses thresholds it cannot use", () => {
    expect(devfreqSimpleOndemandFunc({ busyTime: 5000, totalTime: 10_000, currentFrequency: 1000 * MHZ }, { upthreshold: 0, downdifferential: 0 })).toBe(568_181_818);
    expect(() => devfreqSimpleOndemandFunc(win(1, 300), { upthreshold: 101, downdifferential: 5 })).toThrow(SimpleOndemandConfigError);
    expect(() => devfreqSimpleOndemandFunc(win(1, 300), { upthreshold: 4, downdifferential: 5 })).toThrow(/-EINVAL/);
  });
});

describe("update_devfreq's rounding to the OPP table", () => {
  it("takes the slowest OPP at or above the wish inside the table, and clamps outside it", () => {
    expect(devfreqRecommendedTarget(RK3588, 600 * MHZ).hz).toBe(600 * MHZ);
    expect(devfreqRecommendedTarget(RK3588, 600 * MHZ + 1).hz).toBe(700 * MHZ);
    expect(devfreqRecommendedTarget(RK3588, 1).hz).toBe(300 * MHZ);
    expect(devfreqRecommendedTarget(RK3588, 1500 * MHZ).hz).toBe(1000 * MHZ);
  });
});

describe("panthor_devfreq_get_dev_status", () => {
  it("reports the shader cores' window, cut to the time since the counters were reset by a resume", () => {
    // given a 220 ms window of which the GPU spent 170 ms suspended, resumed at 170 ms
    const stat = panthorDevStatus({ windowNs: 220 * MS, busyNs: 20 * MS }, 300 * MHZ, 220 * MS, 170 * MS);
    expect(stat).toEqual({ busyTime: 20 * MS, totalTime: 50 * MS, currentFrequency: 300 * MHZ });
    expect(loadOf(stat)).toBeCloseTo(0.4);
    expect(loadOf({ busyTime: 0, totalTime: 0, currentFrequency: 1 })).toBe(0);
  });
});
