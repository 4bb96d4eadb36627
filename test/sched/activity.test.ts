import { describe, expect, it } from "vitest";
import { bootDrmDevice } from "../support/drmDevice.ts";
import { createGroup, mapBo, openClient, readU32, storeWords, streamAt, submitJob } from "../support/submitWorld.ts";

const MS = 1_000_000;
const OUT_VA = 0x80_0000;

describe("the scheduler and runtime PM (sched/activity.ts)", () => {
  it("reports busy while a job is on a ring, lets the GPU autosuspend when idle (MCU halted), and resumes it for the next job", () => {
    // given a job that ran to completion
    const dev = bootDrmDevice();
    const c = openClient(dev, "app");
    const out = mapBo(c, OUT_VA);
    const first = streamAt(c, 0x10_0000, storeWords(OUT_VA, 1));
    const second = streamAt(c, 0x11_0000, storeWords(OUT_VA + 4, 2));
    const g = createGroup(c);
    expect(c.f.syncobjWait([submitJob(c, g, 0, 0x10_0000, first)], { timeoutNs: 10 * MS }).ret).toBe(0);
    expect(dev.events("GpuActivityChanged").map((e) => (e.payload as { busy: boolean }).busy)).toEqual([true, false]);
    // when the GPU stays idle past the 50 ms autosuspend delay
    dev.sim.runUntil(() => false, dev.sim.scheduler.nowNs + 80 * MS);
    // then it suspended through the scheduler's hooks: the group SUSPENDed, GLB_HALT acknowledged, a fast suspend
    expect(dev.events("RuntimePmSuspended").map((e) => (e.payload as { fast: boolean }).fast)).toEqual([true]);
    expect(dev.events("GroupStateChanged").map((e) => (e.payload as { reason: string }).reason)).toContain("runtime suspend");
    expect(dev.events("McuStatusChanged").map((e) => (e.payload as { status: number }).status).at(-1)).toBe(2);
    // and a new job resumes the GPU (the halted MCU restarts fast), the group RESUMEs and the job completes
    expect(c.f.syncobjWait([submitJob(c, g, 0, 0x11_0000, second)], { timeoutNs: 50 * MS }).ret).toBe(0);
    expect(dev.events("RuntimePmResumed")).toHaveLength(1);
    expect(dev.events("FirmwareBooted").map((e) => (e.payload as { fast: boolean }).fast)).toEqual([false, true]);
    expect(dev.events("GroupStateChanged").map((e) => (e.payload as { reason: string }).reason).at(-1)).toBe("resumed");
    expect([readU32(c, out), readU32(c, out, 4)]).toEqual([1, 2]);
    expect(dev.events("ActorHandlerFailed")).toEqual([]);
  });
});
