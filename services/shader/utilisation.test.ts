import { describe, expect, it } from "vitest";
import { closeWindow, createMeter, setBusy } from "./utilisation.ts";

describe("shader utilisation meter", () => {
  it("reports block and per-core busy time over a window, then starts a new one", () => {
    // given cores 0 and 2 busy from 10 µs, core 2 alone from 30 µs, idle from 40 µs
    let m = createMeter(0);
    m = setBusy(m, 10_000, 0b101);
    m = setBusy(m, 30_000, 0b100);
    m = setBusy(m, 40_000, 0);
    // when the window closes at 100 µs
    const { report, next } = closeWindow(m, 100_000, 0b111);
    // then the block was busy 30 µs, core 0 for 20 µs, core 2 for 30 µs
    expect(report).toEqual({ windowNs: 100_000, busyNs: 30_000, cores: [{ core: 0, busyNs: 20_000 }, { core: 1, busyNs: 0 }, { core: 2, busyNs: 30_000 }] });
    expect(closeWindow(next, 150_000, 0b1).report).toEqual({ windowNs: 50_000, busyNs: 0, cores: [{ core: 0, busyNs: 0 }] });
  });
});
