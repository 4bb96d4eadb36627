import { describe, expect, it } from "vitest";
import { ERRNO } from "../../shared/gpu/errno.ts";
import { INJECT_PATH } from "../../shared/runtime/simulation.ts";
import { PowerOnRequested } from "./powerEvents.ts";
import { powerHarness } from "./powerHarness.ts";
import {
  ClockDisableRequested,
  ClockEnableRequested,
  PowerSupplyFaultArmed,
  RegulatorDisableRequested,
  RegulatorEnableRequested,
} from "./supplyEvents.ts";

const US = 1_000;
const SUPPLY_FACTS = ["ClockStateChanged", "RegulatorStateChanged", "ClockEnableFailed", "RegulatorEnableFailed", "PowerSupplyRequestRejected"];

describe("clocks and regulators", () => {
  it("starts with every clock and regulator on, as the bootloader leaves them", () => {
    const h = powerHarness();
    expect(h.snapshot()).toMatchObject({
      clocks: { core: "enabled", coregroup: "enabled", stacks: "enabled" },
      regulators: { mali: "enabled", sram: "enabled" },
    });
  });

  it("refuses power-up as unpowered while the mali regulator is off, and as unclocked while the core clock is gated", () => {
    // given a cold GPU: every supply off
    const h = powerHarness({ suppliesOn: false });
    // when L2 is requested before any supply, then with the rail up but the clock gated, then with both
    h.send(PowerOnRequested, { domain: "l2", mask: 1 }, 0);
    h.send(RegulatorEnableRequested, { regulator: "mali" }, 1 * US);
    h.send(PowerOnRequested, { domain: "l2", mask: 1 }, 500 * US);
    h.send(ClockEnableRequested, { clock: "core" }, 600 * US);
    h.send(PowerOnRequested, { domain: "l2", mask: 1 }, 700 * US);
    h.sim.run({ untilNs: 1000 * US });
    // then the first two are refused with the missing supply, and the third powers L2
    expect(h.facts("PowerRequestRejected", "PowerDomainChanged")).toEqual([
      [0, "PowerRequestRejected", { domain: "l2", mask: 1, reason: "unpowered" }],
      [500 * US, "PowerRequestRejected", { domain: "l2", mask: 1, reason: "unclocked" }],
      [710 * US, "PowerDomainChanged", { domain: "l2", ready: 1, trans: 0 }],
    ]);
  });

  it("turns a regulator on after its 400 µs enable ramp and a clock at once, answering every accepted request", () => {
    const h = powerHarness({ suppliesOn: false });
    h.send(RegulatorEnableRequested, { regulator: "mali" }, 0);
    h.send(ClockEnableRequested, { clock: "core" }, 0);
    h.send(ClockEnableRequested, { clock: "core" }, 10 * US);
    h.send(ClockDisableRequested, { clock: "core" }, 20 * US);
    h.sim.run({ untilNs: 1000 * US });
    expect(h.facts(...SUPPLY_FACTS)).toEqual([
      [0, "ClockStateChanged", { clock: "core", enabled: true }],
      [10 * US, "ClockStateChanged", { clock: "core", enabled: true }],
      [20 * US, "ClockStateChanged", { clock: "core", enabled: false }],
      // the rail's setpoint is the initial OPP's voltage: 300 MHz / 675 mV on RK3588
      [400 * US, "RegulatorStateChanged", { regulator: "mali", enabled: true, microvolt: 675_000 }],
    ]);
  });

  it("fails the next enable of an armed clock with -ETIMEDOUT, and the one after succeeds", () => {
    const h = powerHarness({ suppliesOn: false });
    h.send(PowerSupplyFaultArmed, { target: "clock", name: "core", mode: "next-enable" }, 0);
    h.send(ClockEnableRequested, { clock: "core" }, 1 * US);
    h.send(ClockEnableRequested, { clock: "core" }, 2 * US);
    h.sim.run({ untilNs: 10 * US });
    expect(h.facts(...SUPPLY_FACTS)).toEqual([
      [1 * US, "ClockEnableFailed", { name: "core", errno: -ERRNO.ETIMEDOUT }],
      [2 * US, "ClockStateChanged", { clock: "core", enabled: true }],
    ]);
  });

  it("fails every enable of a regulator armed 'always' with -EIO, leaving it off", () => {
    const h = powerHarness();
    h.send(PowerSupplyFaultArmed, { target: "regulator", name: "sram", mode: "always" }, 0);
    h.send(RegulatorDisableRequested, { regulator: "sram" }, 1 * US);
    h.send(RegulatorEnableRequested, { regulator: "sram" }, 2 * US);
    h.send(RegulatorEnableRequested, { regulator: "sram" }, 3 * US);
    h.sim.run({ untilNs: 1000 * US });
    expect(h.facts(...SUPPLY_FACTS)).toEqual([
      [1 * US, "RegulatorStateChanged", { regulator: "sram", enabled: false, microvolt: 675_000 }],
      [2 * US, "RegulatorEnableFailed", { name: "sram", errno: -ERRNO.EIO }],
      [3 * US, "RegulatorEnableFailed", { name: "sram", errno: -ERRNO.EIO }],
    ]);
    expect(h.snapshot()).toMatchObject({ regulators: { sram: "failed", mali: "enabled" } });
  });

  it("takes a fault armed through the injector's fault.inject path for its own GPU only", () => {
    const h = powerHarness({ suppliesOn: false });
    h.send(PowerSupplyFaultArmed, { target: "clock", name: "stacks", mode: "next-enable", gpu: 1 }, 0, INJECT_PATH);
    h.send(ClockEnableRequested, { clock: "stacks" }, 1 * US);
    h.send(ClockDisableRequested, { clock: "stacks" }, 2 * US);
    h.send(PowerSupplyFaultArmed, { target: "clock", name: "stacks", mode: "next-enable" }, 3 * US, INJECT_PATH);
    h.send(ClockEnableRequested, { clock: "stacks" }, 4 * US);
    h.sim.run({ untilNs: 10 * US });
    expect(h.facts(...SUPPLY_FACTS).map(([t, type]) => [t, type])).toEqual([
      [1 * US, "ClockStateChanged"],
      [2 * US, "ClockStateChanged"],
      [4 * US, "ClockEnableFailed"],
    ]);
  });

  it("powers every domain off at once when the mali regulator is disabled under it", () => {
    // given L2 and two shader cores on
    const h = powerHarness();
    h.send(PowerOnRequested, { domain: "l2", mask: 1 }, 0);
    h.send(PowerOnRequested, { domain: "shader", mask: 0x3 }, 20 * US);
    // when the rail is switched off at 100 µs
    h.send(RegulatorDisableRequested, { regulator: "mali" }, 100 * US);
    h.sim.run({ untilNs: 200 * US });
    // then the regulator reports off and the cores, then L2, read READY 0 in the same instant
    expect(h.facts("RegulatorStateChanged", "PowerDomainChanged").filter(([t]) => t === 100 * US)).toEqual([
      [100 * US, "RegulatorStateChanged", { regulator: "mali", enabled: false, microvolt: 675_000 }],
      [100 * US, "PowerDomainChanged", { domain: "shader", ready: 0, trans: 0 }],
      [100 * US, "PowerDomainChanged", { domain: "l2", ready: 0, trans: 0 }],
    ]);
  });

  it("keeps domains powered when only the core clock is gated, and refuses new power-ups", () => {
    const h = powerHarness();
    h.send(PowerOnRequested, { domain: "l2", mask: 1 }, 0);
    h.send(ClockDisableRequested, { clock: "core" }, 50 * US);
    h.send(PowerOnRequested, { domain: "tiler", mask: 1 }, 60 * US);
    h.sim.run({ untilNs: 100 * US });
    expect(h.snapshot()).toMatchObject({ l2: { state: "on", ready: 1 }, tiler: { state: "off" }, clocks: { core: "disabled" } });
    expect(h.facts("PowerRequestRejected")).toEqual([[60 * US, "PowerRequestRejected", { domain: "tiler", mask: 1, reason: "unclocked" }]]);
  });

  it("rejects a request naming a supply the model does not have", () => {
    // given the small G310-like model, which has no sram supply and no stacks clock
    const h = powerHarness({ model: "mali-g310-small" });
    h.send(RegulatorEnableRequested, { regulator: "sram" }, 0);
    h.send(PowerSupplyFaultArmed, { target: "clock", name: "stacks", mode: "always" }, 0);
    h.sim.run({ untilNs: 10 * US });
    expect(h.facts(...SUPPLY_FACTS)).toEqual([
      [0, "PowerSupplyRequestRejected", { target: "regulator", name: "sram", reason: "absent" }],
      [0, "PowerSupplyRequestRejected", { target: "clock", name: "stacks", reason: "absent" }],
    ]);
  });
});
