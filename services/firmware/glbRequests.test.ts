import { describe, expect, it } from "vitest";
import { glbRequestNames, glbTimerNs, planGlbAcks, progressTimerNs } from "./glbRequests.ts";
import { GLB, GLB_TIMER } from "./interfaceBits.ts";
import { toggleReqs, updateReqs } from "./reqAck.ts";

const MASK = (GLB.CFG_ALLOC_EN | GLB.PING | GLB.CFG_PROGRESS_TIMER | GLB.CFG_POWEROFF_TIMER | GLB.IDLE_EN | GLB.IDLE) >>> 0;

describe("GLB request acknowledgement (panthor_fw_glb_wait_acks, firmware side)", () => {
  it("acknowledges toggled requests by making GLB_ACK equal GLB_REQ, interrupting for those in ack_irq_mask", () => {
    // given the host toggled PING and FWCFG_UPDATE against an ack of 0
    const req = toggleReqs(0, 0, GLB.PING | GLB.FWCFG_UPDATE);
    // when the firmware scans the request word
    const plan = planGlbAcks(req, 0, MASK, { ignorePing: false });
    // then both are acknowledged, and only PING is in the IRQ mask
    expect(plan).toEqual({ ack: req, acked: GLB.PING | GLB.FWCFG_UPDATE, unsupported: 0, pingIgnored: false, halt: false, irq: true });
    expect(planGlbAcks(req, 0, 0, { ignorePing: false }).irq).toBe(false);
  });

  it("copies config bits (IDLE_EN, COUNTER_EN) both when set and when cleared", () => {
    const set = planGlbAcks(updateReqs(0, GLB.IDLE_EN | GLB.COUNTER_EN, GLB.IDLE_EN | GLB.COUNTER_EN), 0, MASK, { ignorePing: false });
    expect(glbRequestNames(set.acked)).toEqual(["COUNTER_EN", "IDLE_EN"]);
    const cleared = planGlbAcks(0, set.ack, MASK, { ignorePing: false });
    expect([cleared.ack, glbRequestNames(cleared.acked)]).toEqual([0, ["COUNTER_EN", "IDLE_EN"]]);
  });

  it("halts only on the 0 → 1 edge of GLB_HALT; clearing the bit is acknowledged without effect", () => {
    const halt = planGlbAcks(GLB.HALT, 0, MASK, { ignorePing: false });
    expect([halt.halt, halt.ack]).toEqual([true, GLB.HALT]);
    const cleared = planGlbAcks(0, GLB.HALT, MASK, { ignorePing: false });
    expect([cleared.halt, cleared.ack, cleared.acked]).toEqual([false, 0, GLB.HALT]);
  });

  it("leaves unmodelled requests (PERFCNT_SAMPLE, PROTM_ENTER, SLEEP) pending and names them", () => {
    const req = toggleReqs(0, 0, GLB.PERFCNT_SAMPLE | GLB.PROTM_ENTER | GLB.SLEEP | GLB.PING);
    const plan = planGlbAcks(req, 0, MASK, { ignorePing: false });
    expect(glbRequestNames(plan.unsupported)).toEqual(["PROTM_ENTER", "PERFCNT_SAMPLE", "SLEEP"]);
    expect(plan.ack).toBe(GLB.PING);
  });

  it("leaves a PING unanswered when pings are ignored, still acknowledging the rest", () => {
    const req = toggleReqs(0, 0, GLB.PING | GLB.CFG_ALLOC_EN);
    const plan = planGlbAcks(req, 0, MASK, { ignorePing: true });
    expect([plan.pingIgnored, plan.acked, plan.ack]).toEqual([true, GLB.CFG_ALLOC_EN, GLB.CFG_ALLOC_EN]);
  });

  it("converts GLB timers back from panthor_fw_conv_timeout(): 1024-tick units of the system counter or the GPU clock", () => {
    const clocks = { timestampHz: 24_000_000, gpuHz: 300_000_000 };
    expect(glbTimerNs(18, clocks)).toBe(768_000); // panthor's 800 µs idle timer, rounded down to 18 units
    expect(glbTimerNs((GLB_TIMER.SOURCE_GPU_COUNTER + 293) >>> 0, clocks)).toBe(1_000_107);
    expect(progressTimerNs(2_560_000, 1_000_000_000)).toBe(2_621_440_000); // ≈ 2.6 s at 1 GHz
  });
});
