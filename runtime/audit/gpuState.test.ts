import { describe, expect, it } from "vitest";
import type { Envelope } from "../../shared/events/envelope.ts";
import { GpuStates } from "./gpuState.ts";

/** An event of gpu0 at `seq`. */
const event = (type: string, seq: number, payload: unknown): Envelope => ({
  id: `gpu0.x:${seq}`, run: "t-1", seq, timeNs: seq * 1000, depth: 0, source: "gpu0.x", subject: "tyrsim.t-1.gpu0.x", type, cause: null, payload,
});

describe("the GPU states of a log", () => {
  it("gives one context between two changes of a GPU's state, and a new one after each change", () => {
    // given gpu0 with L2 powered and then a register read (which changes no state)
    const states = new GpuStates();
    states.push(event("PowerDomainChanged", 1, { domain: "l2", ready: 1, trans: 0 }));
    const first = states.context(0);
    states.push(event("MmioReadIssued", 2, { offset: 0, tag: "GPU_ID" }));
    // then the context is the same value
    expect(states.context(0)).toBe(first);
    // when the MCU status changes, then a new context says so and the old one is as it was
    states.push(event("McuStatusChanged", 3, { status: 1 }));
    const next = states.context(0);
    expect(next).not.toBe(first);
    expect([first.mcu, next.mcu, next.power]).toEqual(["DISABLED", "ENABLED", { l2: "0x1" }]);
  });

  it("gives a GPU the log never mentioned the context of a GPU not probed", () => {
    expect(new GpuStates().context(3)).toMatchObject({ gpu: 3, power: {}, mcu: "DISABLED", firmware: "not booted", driver: "not bound", jobsRunning: 0 });
  });
});
